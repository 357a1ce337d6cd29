package dev.plinth.model.convert;

import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Tensor data parked in a temporary file next to the output, then mapped back for the GGUF
 * writer, so that converting a model needs memory for one tensor at a time, not the whole model.
 */
final class ScratchFile implements AutoCloseable {
    private record Entry(String name, DType type, long[] shape, long offset, long size) {
    }

    private final Path path;
    private final FileChannel channel;
    private final List<Entry> entries = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private long size;

    ScratchFile(Path nextTo) throws IOException {
        Path dir = nextTo.toAbsolutePath().getParent();
        path = Files.createTempFile(dir, "." + nextTo.getFileName() + ".", ".scratch");
        channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.DELETE_ON_CLOSE);
    }

    /** Appends {@code t}'s data; the tensor comes back from {@link #tensors()}. */
    void add(Tensor t) throws IOException {
        long bytes = t.data().byteSize();
        byte[] chunk = new byte[(int) Math.min(bytes, 1 << 20)];
        for (long done = 0; done < bytes; ) {
            int n = (int) Math.min(chunk.length, bytes - done);
            MemorySegment.copy(t.data(), done, MemorySegment.ofArray(chunk), 0, n);
            ByteBuffer buffer = ByteBuffer.wrap(chunk, 0, n);
            while (buffer.hasRemaining()) {
                channel.write(buffer, size + done + buffer.position());
            }
            done += n;
        }
        entries.add(new Entry(t.name(), t.dtype(), t.shape(), size, bytes));
        size += bytes;
    }

    /** All tensors added, in order, backed by a read-only mapping of this file. */
    List<Tensor> tensors() throws IOException {
        MemorySegment all = size == 0 ? MemorySegment.NULL
                : channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        List<Tensor> out = new ArrayList<>();
        for (Entry e : entries) {
            out.add(new Tensor(e.name(), e.type(), e.shape(), all.asSlice(e.offset(), e.size())));
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        try {
            arena.close();
        } finally {
            channel.close();
            Files.deleteIfExists(path);
        }
    }
}

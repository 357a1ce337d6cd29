package dev.plinth.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes files users depend on atomically: the content goes to a temporary file in the same
 * folder, is forced to disk, and only then renamed over the target. A crash leaves either the old
 * file or the new one, never a torn one.
 */
public final class AtomicFiles {

    private static final int CHUNK = 1 << 20;

    private AtomicFiles() {
    }

    /** Fills a channel positioned at 0. */
    @FunctionalInterface
    public interface Content {
        void writeTo(FileChannel channel) throws IOException;
    }

    /** Writes {@code target} from {@code content} via temp file, fsync and atomic rename. */
    public static void write(Path target, Content content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                content.writeTo(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes all of {@code buffer} to {@code channel}. */
    public static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /**
     * Writes the bytes of {@code segment} (heap or native, of any array type) through a reusable
     * direct buffer of {@code scratch}'s capacity.
     */
    public static void writeSegment(FileChannel channel, MemorySegment segment, ByteBuffer scratch) throws IOException {
        long size = segment.byteSize();
        MemorySegment scratchSeg = MemorySegment.ofBuffer(scratch.clear());
        for (long done = 0; done < size; ) {
            int n = (int) Math.min(scratch.capacity(), size - done);
            MemorySegment.copy(segment, done, scratchSeg, 0, n);
            scratch.clear().limit(n);
            writeFully(channel, scratch);
            done += n;
        }
    }

    /** A direct scratch buffer of the size {@link #writeSegment} works well with. */
    public static ByteBuffer newScratch() {
        return ByteBuffer.allocateDirect(CHUNK);
    }
}

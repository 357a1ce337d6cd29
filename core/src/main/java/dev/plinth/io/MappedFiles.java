package dev.plinth.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Opens files that are read in place: the whole file mapped read-only, tensors sliced from it without copies. */
public final class MappedFiles {

    /** Makes the opened object from the mapping; the object owns {@code arena} (closing it unmaps the file). */
    @FunctionalInterface
    public interface Reader<T> {
        T read(Arena arena, MemorySegment file) throws IOException;
    }

    private MappedFiles() {
    }

    /** Maps all of {@code path} in a shared arena and hands it to {@code reader}; if that fails, unmaps it. */
    public static <T> T open(Path path, Reader<T> reader) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment file;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            }
            return reader.read(arena, file);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }
}

package dev.plinth.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path tmp;

    @Test
    void replacesWholeOrNotAtAll() throws Exception {
        Path target = tmp.resolve("model.bin");
        AtomicFiles.write(target, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(new byte[] {1, 2, 3})));
        assertEquals(3, Files.size(target));
        assertThrows(IOException.class, () -> AtomicFiles.write(target, ch -> {
            AtomicFiles.writeFully(ch, ByteBuffer.wrap(new byte[100]));
            throw new IOException("disk full");
        }));
        assertEquals(3, Files.size(target), "old content survives a failed write");
        assertEquals(List.of(target), Files.list(tmp).toList(), "no temporary file left behind");
        if (Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
            assertTrue(Files.getPosixFilePermissions(target).contains(PosixFilePermission.OWNER_READ));
            assertTrue(Files.getPosixFilePermissions(target).contains(PosixFilePermission.OWNER_WRITE));
        }
    }
}

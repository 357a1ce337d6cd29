package dev.plinth.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes files users depend on atomically: the content goes to a temporary file in the same
 * folder, is forced to disk, and only then renamed over the target. A crash leaves either the old
 * file or the new one, never a torn one. A folder ({@link #writeFolder}) is built beside its target
 * and renamed into place.
 */
public final class AtomicFiles {

    private static final int CHUNK = 1 << 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {
    }

    /** Fills a channel positioned at 0. */
    @FunctionalInterface
    public interface Content {
        void writeTo(FileChannel channel) throws IOException;
    }

    /** Fills a staging folder that becomes the target once complete. */
    @FunctionalInterface
    public interface FolderContent {
        void writeTo(Path staging) throws IOException;
    }

    /** {@link #write(Path, Content)} of {@code text} in UTF-8. */
    public static void write(Path target, String text) throws IOException {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        write(target, ch -> writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    /** Writes {@code target} from {@code content} via temp file, fsync and atomic rename. */
    public static void write(Path target, Content content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        // Not Files.createTempFile: that makes the file owner-only, and the result should get the
        // usual permissions (0666 less the umask), as any other new file would.
        Path tmp = dir.resolve("." + abs.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                content.writeTo(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Writes the folder {@code target}: {@code content} fills a staging folder beside it, which is
     * then renamed into place. An earlier folder of the same kind there (one holding
     * {@code markerFile}) is renamed aside just before and deleted after; a crash between the two
     * renames leaves it as {@code .NAME.old-*} beside the target. An empty folder is replaced; any
     * other non-empty folder is left alone and refused.
     */
    public static void writeFolder(Path target, String markerFile, FolderContent content) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        Files.createDirectories(parent);
        Path staging = Files.createTempDirectory(parent, "." + abs.getFileName() + ".");
        try {
            // a temporary folder is owner-only; the result should get a new folder's usual permissions
            Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: keep what it gave
        }
        try {
            content.writeTo(staging);
            replaceFolder(staging, abs, markerFile);
        } finally {
            deleteTree(staging);
        }
    }

    private static void replaceFolder(Path staging, Path target, String markerFile) throws IOException {
        Path old = null;
        if (Files.exists(target)) {
            boolean empty;
            try (Stream<Path> s = Files.list(target)) {
                empty = s.findAny().isEmpty();
            }
            if (!empty && !Files.isRegularFile(target.resolve(markerFile))) {
                throw new DirectoryNotEmptyException(target + " (holds no " + markerFile
                        + "; choose an empty or new folder)");
            }
            old = target.resolveSibling("." + target.getFileName() + ".old-" + System.nanoTime());
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(staging, target);
        }
        if (old != null) {
            deleteTree(old);
        }
    }

    /** Deletes {@code root} and everything below it (a link is deleted, not followed); nothing when it does not exist. */
    public static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Makes the rename itself durable; not every platform can open a folder, which is then skipped. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: the file itself is already on disk
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

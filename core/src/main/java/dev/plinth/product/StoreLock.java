package dev.plinth.product;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The store's write lock: {@code PLINTH_HOME/.lock} locked with {@link FileChannel#lock} against other
 * processes, and an in-process lock against other threads (a JVM may hold a file's lock only once).
 * Reentrant within a thread. Every write to the store (create, import, cp, rm, prune) holds it; a
 * process that dies holding it loses it with the process.
 */
final class StoreLock implements AutoCloseable {

    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final ReentrantLock threads;
    private final FileChannel channel;
    private final FileLock fileLock;

    private StoreLock(ReentrantLock threads, FileChannel channel, FileLock fileLock) {
        this.threads = threads;
        this.channel = channel;
        this.fileLock = fileLock;
    }

    static StoreLock acquire(Path root) throws IOException {
        Files.createDirectories(root);
        Path lockFile = root.toRealPath().resolve(".lock");
        ReentrantLock threads = IN_PROCESS.computeIfAbsent(lockFile, p -> new ReentrantLock());
        threads.lock();
        if (threads.getHoldCount() > 1) {
            return new StoreLock(threads, null, null);
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new StoreLock(threads, channel, channel.lock());
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            threads.unlock();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (channel != null) {
                fileLock.release();
                channel.close();
            }
        } finally {
            threads.unlock();
        }
    }
}

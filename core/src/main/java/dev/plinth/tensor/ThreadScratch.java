package dev.plinth.tensor;

/**
 * A float buffer per thread, grown to the largest size that thread has asked for and then reused, so
 * that kernels on hot paths allocate nothing per call. Its contents are whatever the thread last
 * left in it.
 */
final class ThreadScratch {
    private final ThreadLocal<float[]> buffers = ThreadLocal.withInitial(() -> new float[0]);

    /** This thread's buffer, at least {@code size} floats long. */
    float[] get(int size) {
        float[] buffer = buffers.get();
        if (buffer.length < size) {
            buffer = new float[size];
            buffers.set(buffer);
        }
        return buffer;
    }
}

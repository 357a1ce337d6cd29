package dev.plinth.server;

import dev.plinth.model.DecoderConfig;
import dev.plinth.model.ModelRuntime;

/**
 * One loaded base: its weights mapped once, and the scheduler that batches the sequences of every
 * product on it.
 *
 * @param key the weights' digest ({@code sha256:...}) or, for a model file, its path
 */
record DecoderBase(String key, ModelRuntime runtime, Scheduler scheduler) implements AutoCloseable {

    /** Bytes of KV cache one position of one sequence takes (keys and values, F32, every layer). */
    long kvBytesPerPosition() {
        DecoderConfig c = runtime.model().config();
        return (long) c.kvDim() * c.layers() * 2 * Float.BYTES;
    }

    @Override
    public void close() {
        scheduler.close();
        runtime.close();
    }
}

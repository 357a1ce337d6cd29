package dev.plinth.model;

import java.util.List;

/** A {@link DecoderModel} session as a {@link TokenSequence} for {@link Generator}. */
public final class DecoderSequence implements TokenSequence {

    private final DecoderModel model;
    private final DecoderModel.Session session;
    private final float[] logits;

    private DecoderSequence(DecoderModel model, int contextLength, List<AppliedAdapter> adapters) {
        this.model = model;
        this.session = model.newSession(contextLength, adapters);
        this.logits = new float[model.vocabSize()];
    }

    /**
     * A fresh sequence of {@code contextLength} positions; 0 or less takes the model's own context
     * length.
     */
    public static DecoderSequence of(DecoderModel model, int contextLength) {
        return of(model, contextLength, List.of());
    }

    /** A fresh sequence that applies {@code adapters} ({@link DecoderModel#newSession(int, List)}). */
    public static DecoderSequence of(DecoderModel model, int contextLength, List<AppliedAdapter> adapters) {
        return new DecoderSequence(model, contextLength > 0 ? contextLength : model.config().contextLength(), adapters);
    }

    @Override
    public int vocabSize() {
        return model.vocabSize();
    }

    @Override
    public int capacity() {
        return session.capacity();
    }

    @Override
    public int position() {
        return session.position();
    }

    /** Returns a buffer reused by the next call. */
    @Override
    public float[] feed(int[] tokens) {
        if (position() + tokens.length > capacity()) {
            throw new ContextOverflowException(position() + tokens.length, capacity());
        }
        model.forward(session, tokens, logits);
        return logits;
    }
}

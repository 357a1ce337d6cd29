package dev.plinth.model;

/**
 * An adapter that does not fit the base it is applied to: another architecture, a pair whose shape
 * is not the base weight's, a weight the decoder does not adapt, or another base's recorded digest.
 * The message names the adapter and says which.
 */
public final class AdapterMismatchException extends UnsupportedModelException {
    public AdapterMismatchException(String message) {
        super(message);
    }
}

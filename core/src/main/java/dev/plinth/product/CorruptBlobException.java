package dev.plinth.product;

import java.nio.file.Path;

/** A blob whose content does not hash to its digest (or that is missing): never run, always reported. */
public final class CorruptBlobException extends ProductException {

    private final Digest digest;
    private final Path file;

    CorruptBlobException(Digest digest, Path file, String problem) {
        super("blob " + digest + " (" + file + ") " + problem
                + "; the store is damaged: remove the products that use it (plinth rm) and create or import them again");
        this.digest = digest;
        this.file = file;
    }

    /** A blob whose content hashes to {@code actual}, not to its {@code digest}. */
    static CorruptBlobException mismatch(Digest digest, Path file, Digest actual) {
        return new CorruptBlobException(digest, file, "does not match its digest: its content hashes to " + actual);
    }

    public Digest digest() {
        return digest;
    }

    public Path file() {
        return file;
    }
}

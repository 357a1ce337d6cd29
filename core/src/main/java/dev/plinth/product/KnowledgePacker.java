package dev.plinth.product;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Turns a Plinthfile's {@code KNOWLEDGE name} into one file the store keeps as the product's
 * knowledge layer. The knowledge module implements it (core knows no index format); a create
 * without one refuses KNOWLEDGE.
 */
@FunctionalInterface
public interface KnowledgePacker {

    /** Refuses every knowledge base: for callers that do not link the knowledge module. */
    KnowledgePacker NONE = (name, folder) -> {
        throw new ProductException("KNOWLEDGE " + name + ": this program cannot pack knowledge bases");
    };

    /** A packed knowledge base, and what its lineage node records (embedder, counts). */
    record Packed(Path file, Map<String, Object> details) {
    }

    /**
     * Packs knowledge base {@code name} into a new file in {@code folder} (a scratch folder of the
     * store, so that the file can be moved into place).
     *
     * @throws ProductException when there is no such knowledge base
     */
    Packed pack(String name, Path folder) throws IOException;
}

package dev.plinth.knowledge;

import java.util.Locale;

/** How a query finds chunks: exact words (BM25), meaning (HNSW vectors), or both fused by reciprocal rank. */
public enum SearchMode {
    HYBRID, BM25, VECTOR;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SearchMode parse(String text) {
        for (SearchMode m : values()) {
            if (m.label().equals(text.toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new IllegalArgumentException("the search mode must be hybrid, bm25 or vector, not '" + text + "'");
    }
}

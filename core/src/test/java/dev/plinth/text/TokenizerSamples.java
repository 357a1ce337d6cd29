package dev.plinth.text;

import java.util.List;

/** {@link ConformanceStrings#sample(int)} computed once per test JVM (it reads several corpora). */
final class TokenizerSamples {
    private static final int SIZE = 1200;
    private static List<String> strings;

    private TokenizerSamples() {
    }

    /** The first {@code count} (at most 1200) strings of the default conformance sample. */
    static synchronized List<String> first(int count) {
        if (strings == null) {
            strings = ConformanceStrings.sample(SIZE);
        }
        return strings.subList(0, Math.min(count, strings.size()));
    }
}

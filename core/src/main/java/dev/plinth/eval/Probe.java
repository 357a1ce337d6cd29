package dev.plinth.eval;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A check on what a model says after a prompt (its greedy continuation of at most
 * {@code maxTokens} tokens): that it starts with {@code expected} (blanks before either ignored),
 * that it never says {@code forbidden} (ignoring case), or that it matches the regular expression
 * {@code regex} somewhere. Canary facts and policy rules are probes.
 */
record Probe(String name, String prompt, Check check, String text, Pattern regex, int maxTokens) {

    enum Check { EXPECTED, FORBIDDEN, REGEX }

    static final int DEFAULT_MAX_TOKENS = 32;

    boolean passes(String output) {
        return switch (check) {
            case EXPECTED -> output.stripLeading().startsWith(text.strip());
            case FORBIDDEN -> !output.toLowerCase(Locale.ROOT).contains(text.toLowerCase(Locale.ROOT));
            case REGEX -> regex.matcher(output).find();
        };
    }

    /** The check in words, for reports: {@code expected "Paris"}. */
    String describe() {
        return check.name().toLowerCase(Locale.ROOT) + " \"" + text + "\"";
    }
}

package dev.plinth.model;

import java.util.List;

/**
 * Finds stop strings in streamed text across piece boundaries. Text goes out as soon as it can no
 * longer be the start of a stop string; a tail that could still grow into one is held back. When
 * a stop string appears, the text before it goes out and it and everything after are dropped.
 */
public final class StopMatcher {

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    public StopMatcher(List<String> stops) {
        this.stops = List.copyOf(stops);
    }

    /** Adds a piece; returns the text that may be emitted now. */
    public String push(String piece) {
        if (stopped) {
            return "";
        }
        held.append(piece);
        int at = firstStop();
        if (at >= 0) {
            stopped = true;
            String out = held.substring(0, at);
            held.setLength(0);
            return out;
        }
        int keep = longestStopPrefixSuffix();
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** Whether a stop string has been seen. */
    public boolean stopped() {
        return stopped;
    }

    /** The held text, released at the end of generation when no stop string came. */
    public String flush() {
        String out = held.toString();
        held.setLength(0);
        return out;
    }

    private int firstStop() {
        int best = -1;
        for (String s : stops) {
            int at = held.indexOf(s);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        return best;
    }

    /** The length of the longest tail of the held text that is a proper prefix of a stop string. */
    private int longestStopPrefixSuffix() {
        int best = 0;
        String text = held.toString();
        int n = text.length();
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, n); len > best; len--) {
                if (text.regionMatches(n - len, s, 0, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}

package dev.plinth.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Shared helpers that render values for people: escaped strings, summarised arrays, tables. */
final class TextFormat {

    /** Arrays longer than this are summarised as their length, kind and first elements. */
    static final int ARRAY_IN_FULL = 8;
    static final int ARRAY_HEAD = 3;
    /** Strings longer than this (in code points) are cut in text mode. */
    static final int STRING_LIMIT = 64;
    static final int ELEMENT_STRING_LIMIT = 32;

    private TextFormat() {
    }

    /** A metadata value on one line: strings quoted and escaped, long strings and arrays cut. */
    static String value(Object v) {
        return switch (v) {
            case null -> "null";
            case String s -> quoted(s, STRING_LIMIT);
            case List<?> list -> array(list);
            case Map<?, ?> map -> object(map);
            default -> String.valueOf(v);
        };
    }

    private static String object(Map<?, ?> map) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (parts.size() == ARRAY_HEAD && map.size() > ARRAY_IN_FULL) {
                return "{" + map.size() + " entries: " + String.join(", ", parts) + ", …}";
            }
            parts.add(e.getKey() + ": " + element(e.getValue()));
        }
        return "{" + String.join(", ", parts) + "}";
    }

    private static String array(List<?> list) {
        if (list.size() <= ARRAY_IN_FULL) {
            List<String> parts = new ArrayList<>();
            for (Object e : list) {
                parts.add(element(e));
            }
            return "[" + String.join(", ", parts) + "]";
        }
        StringBuilder sb = new StringBuilder("[").append(list.size()).append(' ').append(kind(list)).append(": ");
        for (int i = 0; i < ARRAY_HEAD; i++) {
            sb.append(element(list.get(i))).append(", ");
        }
        return sb.append("…]").toString();
    }

    private static String element(Object e) {
        return e instanceof String s ? quoted(s, ELEMENT_STRING_LIMIT) : value(e);
    }

    /** "strings", "integers", ... by the first element (GGUF arrays hold one type). */
    private static String kind(List<?> list) {
        return switch (list.getFirst()) {
            case null -> "values";
            case String s -> "strings";
            case Float f -> "floats";
            case Double d -> "floats";
            case Boolean b -> "booleans";
            case List<?> l -> "arrays";
            case Map<?, ?> m -> "objects";
            default -> "integers";
        };
    }

    /**
     * {@code s} in double quotes with backslash escapes for quotes, backslashes, whitespace other
     * than the space and control characters; cut after {@code limit} code points with a note of
     * the full length.
     */
    static String quoted(String s, int limit) {
        int length = s.codePointCount(0, s.length());
        String shown = length > limit ? s.substring(0, s.offsetByCodePoints(0, limit)) : s;
        String q = "\"" + escape(shown) + "\"";
        return length > limit ? q + "… (" + length + " chars)" : q;
    }

    /** {@code s} with \n, \t, \r, \\, \" and other control characters escaped; the rest as is. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                default -> {
                    if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
                            || Character.getType(c) == Character.SURROGATE) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", c));
                    } else {
                        sb.appendCodePoint(c);
                    }
                }
            }
        });
        return sb.toString();
    }

    /** {@code 1,234,567} whatever the default locale. */
    static String grouped(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** 292.4K, 1.1M, 6.7B: a count for people. */
    static String approximate(long n) {
        if (n < 1000) {
            return Long.toString(n);
        }
        String[] units = {"K", "M", "B", "T"};
        double v = n;
        int u = -1;
        while (v >= 999.95 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f%s", v, units[u]);
    }

    /** 1.1 MiB: a byte count for people. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = n;
        int u = -1;
        while (v >= 1023.95 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** {@code [512, 64]}. */
    static String shape(long[] shape) {
        List<String> dims = new ArrayList<>(shape.length);
        for (long d : shape) {
            dims.add(Long.toString(d));
        }
        return "[" + String.join(", ", dims) + "]";
    }

    /** Rows of cells as aligned columns, two spaces apart; {@code right[i]} right-aligns column i. */
    static List<String> table(List<String[]> rows, boolean... right) {
        int columns = rows.getFirst().length;
        int[] width = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], displayWidth(row[i]));
            }
        }
        List<String> lines = new ArrayList<>(rows.size());
        for (String[] row : rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                String pad = " ".repeat(width[i] - displayWidth(row[i]));
                boolean last = i == columns - 1;
                boolean alignRight = i < right.length && right[i];
                sb.append(alignRight ? pad + row[i] : (last ? row[i] : row[i] + pad));
                if (!last) {
                    sb.append("  ");
                }
            }
            lines.add(sb.toString());
        }
        return lines;
    }

    private static int displayWidth(String s) {
        return s.codePointCount(0, s.length());
    }
}

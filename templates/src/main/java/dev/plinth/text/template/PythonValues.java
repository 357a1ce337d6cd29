package dev.plinth.text.template;

import com.hubspot.jinjava.objects.SafeString;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.Map;

/** Python's {@code str()} and {@code json.dumps} for the values templates handle. */
final class PythonValues {
    /** Nesting deeper than this is refused instead of overflowing the stack. */
    private static final int MAX_DEPTH = 256;

    private PythonValues() {
    }

    /** Python {@code str(value)}. */
    static String str(Object value) {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof SafeString safe) {
            return safe.toString();
        }
        StringBuilder out = new StringBuilder();
        repr(value, out, 0);
        return out.toString();
    }

    private static void repr(Object value, StringBuilder out, int depth) {
        checkDepth(depth);
        switch (value) {
            case null -> out.append("None");
            case Boolean b -> out.append(b ? "True" : "False");
            case String s -> quotePython(s, out);
            case SafeString s -> quotePython(s.toString(), out);
            case Map<?, ?> map -> {
                out.append('{');
                String sep = "";
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    out.append(sep);
                    repr(e.getKey(), out, depth + 1);
                    out.append(": ");
                    repr(e.getValue(), out, depth + 1);
                    sep = ", ";
                }
                out.append('}');
            }
            case Iterable<?> items -> {
                out.append('[');
                String sep = "";
                for (Object item : items) {
                    out.append(sep);
                    repr(item, out, depth + 1);
                    sep = ", ";
                }
                out.append(']');
            }
            case Number n -> out.append(number(n));
            default -> throw new UnsupportedConstruct("str() of a " + value.getClass().getSimpleName());
        }
    }

    /** Python's repr of a str: single quotes unless the text holds a single quote and no double. */
    private static void quotePython(String s, StringBuilder out) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        out.append(q);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c == q) {
                        out.append('\\').append(c);
                    } else if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\x%02x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append(q);
    }

    /**
     * {@code json.dumps(value, ensure_ascii=False, indent=indent)} as Hugging Face's {@code tojson}
     * filter calls it: separators {@code ", "} and {@code ": "} without indent, {@code ","} and
     * {@code ": "} with it; keys in insertion order.
     */
    static String toJson(Object value, int indent) {
        StringBuilder out = new StringBuilder();
        json(value, out, indent, 0);
        return out.toString();
    }

    private static void json(Object value, StringBuilder out, int indent, int depth) {
        checkDepth(depth);
        switch (value) {
            case null -> out.append("null");
            case Boolean b -> out.append(b ? "true" : "false");
            case String s -> quoteJson(s, out);
            case SafeString s -> quoteJson(s.toString(), out);
            case Number n -> out.append(number(n));
            case Map<?, ?> map -> container('{', '}', map.entrySet().iterator(), out, indent, depth, true);
            case Iterable<?> items -> container('[', ']', items.iterator(), out, indent, depth, false);
            default -> throw new UnsupportedConstruct("tojson of a " + value.getClass().getSimpleName());
        }
    }

    private static void container(char open, char close, Iterator<?> it, StringBuilder out, int indent, int depth,
            boolean entries) {
        out.append(open);
        if (!it.hasNext()) {
            out.append(close);
            return;
        }
        boolean first = true;
        while (it.hasNext()) {
            Object item = it.next();
            if (!first) {
                out.append(indent < 0 ? ", " : ",");
            }
            newline(out, indent, depth + 1);
            if (entries) {
                Map.Entry<?, ?> e = (Map.Entry<?, ?>) item;
                if (!(e.getKey() instanceof String key)) {
                    throw new UnsupportedConstruct("tojson of a mapping with a non-string key");
                }
                quoteJson(key, out);
                out.append(": ");
                json(e.getValue(), out, indent, depth + 1);
            } else {
                json(item, out, indent, depth + 1);
            }
            first = false;
        }
        newline(out, indent, depth);
        out.append(close);
    }

    private static void newline(StringBuilder out, int indent, int depth) {
        if (indent >= 0) {
            out.append('\n').repeat(" ", indent * depth);
        }
    }

    private static void quoteJson(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Python's repr of ints and floats (floats: shortest round-trip digits, like Java's). */
    static String number(Number n) {
        if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte
                || n instanceof BigInteger) {
            return n.toString();
        }
        if (n instanceof BigDecimal d && d.scale() <= 0) {
            return d.toBigInteger().toString();
        }
        double d = n.doubleValue();
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        double abs = Math.abs(d);
        if (abs == 0 || (abs >= 1e-4 && abs < 1e16)) {
            return Double.toString(d).contains("E") ? new BigDecimal(Double.toString(d)).toPlainString() : Double.toString(d);
        }
        // Python writes 1e-05 and 1e+16 where Java writes 1.0E-5 and 1.0E16.
        String[] parts = Double.toString(d).split("E");
        String mantissa = parts[0].endsWith(".0") ? parts[0].substring(0, parts[0].length() - 2) : parts[0];
        int exponent = Integer.parseInt(parts[1]);
        return mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }

    private static void checkDepth(int depth) {
        if (depth > MAX_DEPTH) {
            throw new UnsupportedConstruct("a value nested deeper than " + MAX_DEPTH + " levels");
        }
    }
}

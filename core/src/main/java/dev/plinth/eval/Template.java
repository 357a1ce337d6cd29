package dev.plinth.eval;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Text with placeholders filled from a data row: {@code Question: {query}\nAnswer:}. A placeholder
 * is a field path, {@code {name}}, {@code {name.sub}} or {@code {name[0]}}, optionally followed by
 * filters: {@code |words} (underscores to spaces), {@code |strip}, {@code |lower},
 * {@code |capitalize}. Escapes: {@code \n}, {@code \t}, {@code \\}, {@code \{}, {@code \}},
 * {@code \"}.
 */
final class Template {

    private static final Set<String> FILTERS = Set.of("words", "strip", "lower", "capitalize");

    private sealed interface Part {
    }

    private record Literal(String text) implements Part {
    }

    /** A path step: a field name, or an index into a list when {@code name} is null. */
    private record Step(String name, int index) {
    }

    private record Field(String text, List<Step> path, List<String> filters) implements Part {
    }

    private final String source;
    private final List<Part> parts;

    private Template(String source, List<Part> parts) {
        this.source = source;
        this.parts = List.copyOf(parts);
    }

    /** A template that is this text exactly, without placeholders or escapes. */
    static Template literal(String text) {
        return new Template(text, List.of(new Literal(text)));
    }

    /**
     * Parses {@code source}.
     *
     * @throws IllegalArgumentException saying what is wrong and at which 1-based column
     */
    static Template parse(String source) {
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < source.length(); i++) {
            char c = source.charAt(i);
            if (c == '\\') {
                if (i + 1 == source.length()) {
                    throw new IllegalArgumentException("column " + (i + 1) + ": a lone \\ at the end");
                }
                literal.append(unescape(source.charAt(++i), i));
            } else if (c == '{') {
                int close = source.indexOf('}', i);
                if (close < 0) {
                    throw new IllegalArgumentException("column " + (i + 1) + ": { is never closed (write \\{ for a brace)");
                }
                if (!literal.isEmpty()) {
                    parts.add(new Literal(literal.toString()));
                    literal.setLength(0);
                }
                parts.add(field(source.substring(i + 1, close), i + 2));
                i = close;
            } else if (c == '}') {
                throw new IllegalArgumentException("column " + (i + 1) + ": } without { (write \\} for a brace)");
            } else {
                literal.append(c);
            }
        }
        if (!literal.isEmpty()) {
            parts.add(new Literal(literal.toString()));
        }
        return new Template(source, parts);
    }

    private static char unescape(char c, int at) {
        return switch (c) {
            case 'n' -> '\n';
            case 't' -> '\t';
            case '\\', '{', '}', '"' -> c;
            default -> throw new IllegalArgumentException("column " + at + ": unknown escape \\" + c
                    + " (known: \\n \\t \\\\ \\{ \\} \\\")");
        };
    }

    private static Field field(String text, int column) {
        String[] pieces = text.split("\\|", -1);
        String path = pieces[0].strip();
        if (!path.matches("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+|\\[\\d{1,9}])*")) {
            throw new IllegalArgumentException("column " + column + ": '{" + text + "}' is not a field path "
                    + "(name, name.sub or name[0], then |filters)");
        }
        List<Step> steps = new ArrayList<>();
        for (String s : path.split("(?=[.\\[])")) {
            if (s.startsWith("[")) {
                steps.add(new Step(null, Integer.parseInt(s.substring(1, s.length() - 1))));
            } else {
                steps.add(new Step(s.startsWith(".") ? s.substring(1) : s, -1));
            }
        }
        List<String> filters = new ArrayList<>();
        for (int i = 1; i < pieces.length; i++) {
            String f = pieces[i].strip();
            if (!FILTERS.contains(f)) {
                throw new IllegalArgumentException("column " + column + ": unknown filter '|" + f + "' (known: " + FILTERS + ")");
            }
            filters.add(f);
        }
        return new Field(text, steps, filters);
    }

    /** The text as written in the definition. */
    String source() {
        return source;
    }

    /** Whether the template is one placeholder and nothing else (so it may stand for a list or object). */
    boolean isSingleField() {
        return parts.size() == 1 && parts.getFirst() instanceof Field f && f.filters().isEmpty();
    }

    /** Whether the template has no placeholder. */
    boolean isConstant() {
        return parts.stream().noneMatch(p -> p instanceof Field);
    }

    /**
     * The JSON value a single-placeholder template names in {@code row}.
     *
     * @throws IllegalArgumentException when the row lacks it
     */
    JsonNode value(JsonNode row) {
        return lookup(row, (Field) parts.getFirst());
    }

    /**
     * The template filled from {@code row}: strings as they are, numbers and booleans as JSON
     * writes them.
     *
     * @throws IllegalArgumentException naming the field the row lacks or that is not a single value
     */
    String render(JsonNode row) {
        StringBuilder out = new StringBuilder();
        for (Part p : parts) {
            switch (p) {
                case Literal l -> out.append(l.text());
                case Field f -> out.append(filter(text(lookup(row, f), f), f.filters()));
            }
        }
        return out.toString();
    }

    private static JsonNode lookup(JsonNode row, Field f) {
        JsonNode v = row;
        for (Step s : f.path()) {
            v = s.name() != null ? v.get(s.name()) : v.isArray() ? v.get(s.index()) : null;
            if (v == null || v.isNull() || v.isMissingNode()) {
                throw new IllegalArgumentException("the row has no value for {" + f.text() + "}");
            }
        }
        return v;
    }

    private static String text(JsonNode v, Field f) {
        if (v.isContainerNode()) {
            throw new IllegalArgumentException("{" + f.text() + "} is a " + (v.isArray() ? "list" : "object")
                    + ", not a single value");
        }
        return v.asText();
    }

    private static String filter(String s, List<String> filters) {
        for (String f : filters) {
            s = switch (f) {
                case "words" -> s.replace('_', ' ');
                case "strip" -> s.strip();
                case "lower" -> s.toLowerCase(Locale.ROOT);
                case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
                default -> throw new IllegalStateException(f);
            };
        }
        return s;
    }
}

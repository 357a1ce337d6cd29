package dev.plinth.model.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON a constrained sequence may write, as a byte-level pushdown automaton: {@link #object()}
 * for any JSON object ({@code response_format: json_object}), {@link #of(JsonNode)} for the values
 * a JSON Schema allows ({@code json_schema}). A {@link State} is immutable: feeding it a byte gives
 * the next state, or null when the byte cannot come next, so a token's bytes can be tried without
 * touching the state. Each state also knows the fewest bytes that complete the value ({@link
 * State#cost}), which lets the mask close the JSON before the token budget runs out.
 *
 * <p>The output is compact: no whitespace between tokens; a schema's object properties are written
 * all of them, in the schema's order; numbers have at most 15 integer and 6 fraction digits and no
 * exponent. Schema keywords outside the subset ({@code type} string, integer, number, boolean,
 * null, object with {@code properties}, array with {@code items}, {@code minItems}, {@code
 * maxItems}, {@code enum}, {@code const}, {@code minLength}, {@code maxLength}, and the annotations
 * that do not constrain) are refused with a message naming them, rather than ignored.
 */
public final class JsonGrammar {

    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "$schema", "$id", "examples", "default",
            "additionalProperties", "required", "strict", "$comment", "format");
    private static final Set<String> UNDERSTOOD = Set.of("type", "properties", "items", "minItems", "maxItems", "enum",
            "const", "minLength", "maxLength");
    private static final int MAX_INT_DIGITS = 15;
    private static final int MAX_FRACTION_DIGITS = 6;
    private static final int MAX_DEPTH = 16;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonGrammar() {
    }

    /** Any JSON object. */
    public static State object() {
        return new State(new Literal("{", 0, new AnyObject(0, AnyObject.OPEN)), null);
    }

    /** What {@code schema} allows. */
    public static State of(JsonNode schema) {
        return new State(frame(schema, 0, "schema"), null);
    }

    /** What the JSON Schema {@code schemaJson} (its text) allows. */
    public static State of(String schemaJson) {
        JsonNode schema;
        try {
            schema = MAPPER.readTree(schemaJson);
        } catch (JsonProcessingException e) {
            throw new JsonSchemaException("the schema is not valid JSON: " + e.getOriginalMessage());
        }
        return of(schema);
    }

    /** Any of several grammars (a tool call of one of several functions): each byte goes to all that can take it. */
    public record Alternatives(List<State> states) {
        public Alternatives {
            states = List.copyOf(states);
        }

        public static Alternatives of(State state) {
            return new Alternatives(List.of(state));
        }

        /** The alternatives after {@code bytes}, or null when none can take them. */
        public Alternatives feed(byte[] bytes) {
            List<State> next = new ArrayList<>(states.size());
            for (State s : states) {
                State n = s.feed(bytes);
                if (n != null) {
                    next.add(n);
                }
            }
            return next.isEmpty() ? null : new Alternatives(next);
        }

        public boolean finished() {
            return states.stream().allMatch(State::finished);
        }

        public boolean accepting() {
            return states.stream().anyMatch(State::accepting);
        }

        public int cost() {
            return states.stream().mapToInt(State::cost).min().orElse(0);
        }
    }

    // ---- the automaton's state: a stack of frames ----

    /** A position in the JSON being written: the frame writing the innermost value over its parents. */
    public static final class State {
        private final Frame top;
        private final State parent;
        private final int cost;

        State(Frame top, State parent) {
            this.top = top;
            this.parent = parent;
            this.cost = (top == null ? 0 : top.cost()) + (parent == null ? 0 : parent.cost);
        }

        /** The state after {@code b} (0–255), or null when {@code b} cannot come next. */
        public State feed(int b) {
            if (top == null) {
                return null;
            }
            return switch (top.feed(b)) {
                case null -> null;
                case Stay s -> new State(s.frame(), parent);
                case Push p -> new State(p.child(), p.after() == null ? parent : new State(p.after(), parent)).feed(b);
                case Done d -> parent == null ? new State(null, null) : parent;
                case DoneBefore d -> parent == null ? null : parent.feed(b);
            };
        }

        /** The state after all of {@code bytes}, or null. */
        public State feed(byte[] bytes) {
            State s = this;
            for (int i = 0; i < bytes.length && s != null; i++) {
                s = s.feed(bytes[i] & 0xff);
            }
            return s;
        }

        /** Whether the JSON is complete and nothing more can follow. */
        public boolean finished() {
            return top == null;
        }

        /** Whether the JSON written so far is a complete value (it may still go on, as a number may). */
        public boolean accepting() {
            return top == null || (parent == null && top.complete());
        }

        /** The fewest bytes that complete the value. */
        public int cost() {
            return cost;
        }
    }

    // ---- what a frame does with one byte ----

    sealed interface Outcome {
    }

    /** The byte was taken; this value goes on as {@code frame}. */
    record Stay(Frame frame) implements Outcome {
    }

    /** The byte starts a nested value: {@code child} takes it, then {@code after} goes on (null: nothing of this value is left). */
    record Push(Frame after, Frame child) implements Outcome {
    }

    /** The byte was taken and ends this value. */
    record Done() implements Outcome {
    }

    /** This value had ended; the byte belongs to what follows it. */
    record DoneBefore() implements Outcome {
    }

    private static final Done DONE = new Done();
    private static final DoneBefore DONE_BEFORE = new DoneBefore();

    interface Frame {
        /** What {@code b} does here; null when it cannot come. */
        Outcome feed(int b);

        /** The fewest bytes that complete this value (nested values pushed later included). */
        int cost();

        /** Whether the value is complete as it stands (a number that may still grow). */
        default boolean complete() {
            return false;
        }
    }

    // ---- frames from a schema ----

    static Frame frame(JsonNode schema, int depth, String where) {
        if (depth > MAX_DEPTH) {
            throw new JsonSchemaException("The schema nests deeper than " + MAX_DEPTH + " levels.");
        }
        if (schema == null || !schema.isObject()) {
            throw new JsonSchemaException(where + " must be a JSON Schema object.");
        }
        schema.fieldNames().forEachRemaining(key -> {
            if (!UNDERSTOOD.contains(key) && !ANNOTATIONS.contains(key)) {
                throw new JsonSchemaException(where + " uses '" + key + "', which constrained decoding does "
                        + "not support (supported: " + UNDERSTOOD + ").");
            }
        });
        if (schema.has("const")) {
            return choice(List.of(schema.get("const")));
        }
        if (schema.has("enum")) {
            List<JsonNode> options = new ArrayList<>();
            schema.get("enum").forEach(options::add);
            if (options.isEmpty()) {
                throw new JsonSchemaException(where + ".enum must not be empty.");
            }
            return choice(options);
        }
        String type = schema.path("type").asText("");
        return switch (type) {
            case "object" -> objectFrame(schema, depth, where);
            case "array" -> arrayFrame(schema, depth, where);
            case "string" -> new JsonString(schema.path("minLength").asInt(0), schema.path("maxLength").asInt(Integer.MAX_VALUE),
                    JsonString.OPEN, 0, 0);
            case "integer" -> new JsonNumber(false, JsonNumber.START, 0);
            case "number" -> new JsonNumber(true, JsonNumber.START, 0);
            case "boolean" -> choice(List.of(MAPPER.getNodeFactory().booleanNode(true),
                    MAPPER.getNodeFactory().booleanNode(false)));
            case "null" -> new Literal("null", 0, null);
            default -> throw new JsonSchemaException(where + " needs a 'type' of object, array, string, integer, "
                    + "number, boolean or null (or an enum or const), not '" + type + "'.");
        };
    }

    private static Frame choice(List<JsonNode> options) {
        List<String> texts = new ArrayList<>();
        for (JsonNode o : options) {
            texts.add(write(o));
        }
        return new Choice(texts, 0);
    }

    /** Every property, in the schema's order: a sequence of literal text and nested values. */
    private static Frame objectFrame(JsonNode schema, int depth, String where) {
        JsonNode properties = schema.path("properties");
        if (!properties.isObject() || properties.isEmpty()) {
            return new Literal("{", 0, new AnyObject(depth, AnyObject.OPEN));
        }
        List<Object> parts = new ArrayList<>();
        StringBuilder text = new StringBuilder("{");
        for (Map.Entry<String, JsonNode> p : properties.properties()) {
            if (text.length() > 1 || !parts.isEmpty()) {
                text.append(',');
            }
            text.append(write(MAPPER.getNodeFactory().textNode(p.getKey()))).append(':');
            parts.add(text.toString());
            text.setLength(0);
            parts.add(frame(p.getValue(), depth + 1, where + ".properties." + p.getKey()));
        }
        parts.add("}");
        return Sequence.of(parts);
    }

    private static Frame arrayFrame(JsonNode schema, int depth, String where) {
        Frame item = schema.has("items") ? frame(schema.get("items"), depth + 1, where + ".items") : null;
        JsonNode items = schema.get("items");
        int min = schema.path("minItems").asInt(0);
        int max = schema.path("maxItems").asInt(Integer.MAX_VALUE);
        if (min > 64 || min > max) {
            throw new JsonSchemaException(where + " asks for " + min + " to " + max + " items.");
        }
        return new JsonArray(items, item == null ? 1 : item.cost(), depth, min, max, 0, JsonArray.OPEN);
    }

    private static Frame value(JsonNode schema, int depth) {
        return schema == null ? new AnyValue(depth + 1) : frame(schema, depth + 1, "items");
    }

    // ---- the frames ----

    /** Fixed text, then {@code next} (or the end of the value when null). */
    record Literal(String text, int at, Frame next) implements Frame {
        public Outcome feed(int b) {
            if (b != text.charAt(at)) {
                return null;
            }
            if (at + 1 < text.length()) {
                return new Stay(new Literal(text, at + 1, next));
            }
            return next == null ? DONE : new Stay(next);
        }

        public int cost() {
            return text.length() - at + (next == null ? 0 : next.cost());
        }
    }

    /** One of several JSON texts (an enum, a const, true or false). */
    record Choice(List<String> options, int at) implements Frame {
        public Outcome feed(int b) {
            List<String> left = new ArrayList<>();
            for (String o : options) {
                if (o.length() > at && o.charAt(at) == b) {
                    left.add(o);
                }
            }
            if (left.isEmpty()) {
                return options.stream().anyMatch(o -> o.length() == at) ? DONE_BEFORE : null;
            }
            if (left.size() == 1 && left.getFirst().length() == at + 1) {
                return DONE;
            }
            return new Stay(new Choice(left, at + 1));
        }

        public int cost() {
            int best = Integer.MAX_VALUE;
            for (String o : options) {
                best = Math.min(best, o.length() - at);
            }
            return best;
        }
    }

    /** Literal texts and nested values one after the other (an object's properties in order). */
    record Sequence(List<Object> parts, int index, int rest) implements Frame {
        static Sequence of(List<Object> parts) {
            return new Sequence(List.copyOf(parts), 0, costFrom(parts, 0));
        }

        private static int costFrom(List<Object> parts, int from) {
            int total = 0;
            for (int i = from; i < parts.size(); i++) {
                total += parts.get(i) instanceof String s ? s.length() : ((Frame) parts.get(i)).cost();
            }
            return total;
        }

        public Outcome feed(int b) {
            Object part = parts.get(index);
            Sequence after = index + 1 < parts.size() ? new Sequence(parts, index + 1, costFrom(parts, index + 1)) : null;
            if (part instanceof String text) {
                Frame literal = new Literal(text, 0, after);
                return literal.feed(b);
            }
            return new Push(after, (Frame) part);
        }

        public int cost() {
            return rest;
        }
    }

    /** Any JSON value (inside a json_object), chosen by its first byte. */
    record AnyValue(int depth) implements Frame {
        public Outcome feed(int b) {
            Frame f = switch (b) {
                case '{' -> depth < MAX_DEPTH ? new Literal("{", 0, new AnyObject(depth, AnyObject.OPEN)) : null;
                case '[' -> depth < MAX_DEPTH ? new JsonArray(null, 1, depth, 0, Integer.MAX_VALUE, 0, JsonArray.OPEN) : null;
                case '"' -> new JsonString(0, Integer.MAX_VALUE, JsonString.OPEN, 0, 0);
                case 't' -> new Literal("true", 0, null);
                case 'f' -> new Literal("false", 0, null);
                case 'n' -> new Literal("null", 0, null);
                default -> b == '-' || (b >= '0' && b <= '9') ? new JsonNumber(true, JsonNumber.START, 0) : null;
            };
            return f == null ? null : f.feed(b);
        }

        public int cost() {
            return 1;
        }
    }

    /** An object with any keys: {@code {} or {"key":value,...}}, after its opening brace. */
    record AnyObject(int depth, int phase) implements Frame {
        static final int OPEN = 0, KEY = 1, AFTER_VALUE = 2;

        public Outcome feed(int b) {
            return switch (phase) {
                case OPEN -> b == '}' ? DONE : startKey(b);
                case KEY -> startKey(b);
                default -> b == '}' ? DONE : b == ',' ? new Stay(new AnyObject(depth, KEY)) : null;
            };
        }

        private Outcome startKey(int b) {
            return b == '"' ? new Push(new AnyObjectValue(depth, false), new JsonString(0, 64, JsonString.OPEN, 0, 0)) : null;
        }

        public int cost() {
            return phase == KEY ? 5 : 1;
        }
    }

    /** Between an any-object's key and what follows its value: {@code :value}, then back to the object. */
    record AnyObjectValue(int depth, boolean colonSeen) implements Frame {
        public Outcome feed(int b) {
            if (!colonSeen) {
                return b == ':' ? new Stay(new AnyObjectValue(depth, true)) : null;
            }
            return new Push(new AnyObject(depth, AnyObject.AFTER_VALUE), new AnyValue(depth + 1));
        }

        public int cost() {
            return colonSeen ? 2 : 3;
        }
    }

    /** An array: {@code [} items separated by commas {@code ]}, between minItems and maxItems of them. */
    record JsonArray(JsonNode itemSchema, int itemCost, int depth, int min, int max, int count, int phase) implements Frame {
        static final int OPEN = 0, FIRST = 1, AFTER_ITEM = 2, NEXT = 3;

        public Outcome feed(int b) {
            return switch (phase) {
                case OPEN -> b == '[' ? new Stay(with(0, FIRST)) : null;
                case FIRST -> b == ']' && min == 0 ? DONE : max > 0 ? item() : null;
                case NEXT -> item();
                default -> b == ']' && count >= min ? DONE : b == ',' && count < max ? new Stay(with(count, NEXT)) : null;
            };
        }

        private Outcome item() {
            return new Push(with(count + 1, AFTER_ITEM), value(itemSchema, depth));
        }

        private JsonArray with(int newCount, int newPhase) {
            return new JsonArray(itemSchema, itemCost, depth, min, max, newCount, newPhase);
        }

        public int cost() {
            int missing = Math.max(0, min - count);
            int items = missing * (itemCost + 1);
            return switch (phase) {
                case OPEN -> 1 + Math.max(1, items);
                case FIRST -> Math.max(1, items);
                case NEXT -> itemCost + Math.max(0, missing - 1) * (itemCost + 1) + 1;
                default -> 1 + items;
            };
        }
    }

    /** A string: {@code "}, characters (escapes included, UTF-8 bytes passed through), {@code "}. */
    record JsonString(int minLength, int maxLength, int phase, int length, int hexLeft) implements Frame {
        static final int OPEN = 0, BODY = 1, ESCAPE = 2, HEX = 3;

        public Outcome feed(int b) {
            return switch (phase) {
                case OPEN -> b == '"' ? new Stay(at(BODY, 0, 0)) : null;
                case ESCAPE -> "\"\\/bfnrt".indexOf(b) >= 0 ? new Stay(at(BODY, length + 1, 0))
                        : b == 'u' ? new Stay(at(HEX, length, 4)) : null;
                case HEX -> !isHex(b) ? null : hexLeft == 1 ? new Stay(at(BODY, length + 1, 0)) : new Stay(at(HEX, length, hexLeft - 1));
                default -> body(b);
            };
        }

        private Outcome body(int b) {
            if (b == '"') {
                return length >= minLength ? DONE : null;
            }
            if (b < 0x20 || length >= maxLength) {
                return null;
            }
            if (b == '\\') {
                return new Stay(at(ESCAPE, length, 0));
            }
            // a UTF-8 continuation byte adds no character
            return new Stay(at(BODY, (b & 0xC0) == 0x80 ? length : length + 1, 0));
        }

        private static boolean isHex(int b) {
            return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
        }

        private JsonString at(int newPhase, int newLength, int newHex) {
            return new JsonString(minLength, maxLength, newPhase, newLength, newHex);
        }

        public int cost() {
            int missing = Math.max(0, minLength - length);
            return switch (phase) {
                case OPEN -> 2 + minLength;
                case ESCAPE -> 2 + missing;
                case HEX -> hexLeft + 1 + missing;
                default -> 1 + missing;
            };
        }
    }

    /** A number: {@code -?(0|[1-9][0-9]*)(.[0-9]+)?} with bounded digits (integers without the fraction). */
    record JsonNumber(boolean fraction, int phase, int digits) implements Frame {
        static final int START = 0, MINUS = 1, ZERO = 2, INT = 3, DOT = 4, FRACTION = 5;

        public Outcome feed(int b) {
            boolean digit = b >= '0' && b <= '9';
            return switch (phase) {
                case START -> b == '-' ? stay(MINUS, 0) : digit ? firstDigit(b) : null;
                case MINUS -> digit ? firstDigit(b) : null;
                case ZERO -> b == '.' && fraction ? stay(DOT, 0) : end(b);
                case INT -> digit && digits < MAX_INT_DIGITS ? stay(INT, digits + 1) : b == '.' && fraction ? stay(DOT, 0) : end(b);
                case DOT -> digit ? stay(FRACTION, 1) : null;
                default -> digit && digits < MAX_FRACTION_DIGITS ? stay(FRACTION, digits + 1) : end(b);
            };
        }

        private Outcome firstDigit(int b) {
            return b == '0' ? stay(ZERO, 1) : stay(INT, 1);
        }

        /** A byte that cannot extend the number ends it, and belongs to what follows. */
        private static Outcome end(int b) {
            return (b >= '0' && b <= '9') || b == '.' || b == '-' ? null : DONE_BEFORE;
        }

        private Outcome stay(int newPhase, int newDigits) {
            return new Stay(new JsonNumber(fraction, newPhase, newDigits));
        }

        @Override
        public boolean complete() {
            return phase == ZERO || phase == INT || phase == FRACTION;
        }

        public int cost() {
            return phase == START || phase == MINUS || phase == DOT ? 1 : 0;
        }
    }

    private static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    /** The UTF-8 bytes of {@code s}, as {@link State#feed(byte[])} takes them. */
    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

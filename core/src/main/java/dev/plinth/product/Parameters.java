package dev.plinth.product;

import dev.plinth.model.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A product's generation parameters ({@code PARAMETER name value} in a Plinthfile): defaults for
 * every run of the product, which a caller's explicit settings override. Stored as the JSON object
 * of the {@code params} layer, keys as below (Ollama's names, {@code max_tokens} for its
 * {@code num_predict}).
 */
public final class Parameters {

    /** The parameters a product may set, each with its range. */
    public enum Key {
        TEMPERATURE("temperature", "a number from 0 to 10") {
            @Override
            Object parse(String v) {
                return inRange(parseFloat(v), 0, 10);
            }
        },
        TOP_K("top_k", "a whole number, 0 or more (0 keeps all)") {
            @Override
            Object parse(String v) {
                return (int) inRange(parseLong(v), 0, Integer.MAX_VALUE);
            }
        },
        TOP_P("top_p", "a number from 0 to 1") {
            @Override
            Object parse(String v) {
                return inRange(parseFloat(v), 0, 1);
            }
        },
        MIN_P("min_p", "a number from 0 to 1") {
            @Override
            Object parse(String v) {
                return inRange(parseFloat(v), 0, 1);
            }
        },
        REPEAT_PENALTY("repeat_penalty", "a number above 0, at most 10 (1 is off)") {
            @Override
            Object parse(String v) {
                float f = inRange(parseFloat(v), 0, 10);
                if (f == 0) {
                    throw new IllegalArgumentException();
                }
                return f;
            }
        },
        REPEAT_LAST_N("repeat_last_n", "a whole number, -1 (all) or more") {
            @Override
            Object parse(String v) {
                return (int) inRange(parseLong(v), -1, Integer.MAX_VALUE);
            }
        },
        SEED("seed", "a whole number, 0 or more") {
            @Override
            Object parse(String v) {
                return inRange(parseLong(v), 0, Long.MAX_VALUE);
            }
        },
        STOP("stop", "a non-empty text (repeatable)") {
            @Override
            Object parse(String v) {
                if (v.isEmpty()) {
                    throw new IllegalArgumentException();
                }
                return v;
            }
        },
        MAX_TOKENS("max_tokens", "a whole number, -1 (until the context is full) or 1 or more") {
            @Override
            Object parse(String v) {
                long n = inRange(parseLong(v), -1, Integer.MAX_VALUE);
                if (n == 0) {
                    throw new IllegalArgumentException();
                }
                return (int) n;
            }
        },
        NUM_CTX("num_ctx", "a whole number from 1 to 1048576") {
            @Override
            Object parse(String v) {
                return (int) inRange(parseLong(v), 1, 1 << 20);
            }
        };

        private final String key;
        private final String range;

        Key(String key, String range) {
            this.key = key;
            this.range = range;
        }

        /** The name in a Plinthfile and in the {@code params} layer. */
        public String key() {
            return key;
        }

        /** The values allowed, in words. */
        public String range() {
            return range;
        }

        abstract Object parse(String value);

        /** The key named {@code name} (case-insensitive). */
        public static Optional<Key> of(String name) {
            for (Key k : values()) {
                if (k.key.equalsIgnoreCase(name)) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
        }

        /** Every key's name, for messages. */
        public static String names() {
            return String.join(", ", Arrays.stream(values()).map(Key::key).toList());
        }

        private static final Pattern NUMBER =
                Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?");

        private static float parseFloat(String v) {
            if (!NUMBER.matcher(v.strip()).matches()) {
                throw new IllegalArgumentException();
            }
            float f = Float.parseFloat(v.strip());
            if (!Float.isFinite(f)) {
                throw new IllegalArgumentException();
            }
            return f;
        }

        private static long parseLong(String v) {
            return Long.parseLong(v.strip());
        }

        private static float inRange(float f, float lo, float hi) {
            if (f < lo || f > hi) {
                throw new IllegalArgumentException();
            }
            return f;
        }

        private static long inRange(long n, long lo, long hi) {
            if (n < lo || n > hi) {
                throw new IllegalArgumentException();
            }
            return n;
        }
    }

    public static final Parameters NONE = new Parameters(new EnumMap<>(Key.class));

    private final EnumMap<Key, Object> values;

    private Parameters(EnumMap<Key, Object> values) {
        this.values = values;
    }

    /**
     * These parameters with {@code key} set to {@code value} (text as in a Plinthfile); {@code stop}
     * adds a stop string, the others replace.
     *
     * @throws IllegalArgumentException saying the allowed values when {@code value} is not one
     */
    public Parameters with(Key key, String value) {
        Object parsed;
        try {
            parsed = key.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key.key() + " must be " + key.range() + ", not '" + value + "'");
        }
        EnumMap<Key, Object> copy = new EnumMap<>(values);
        if (key == Key.STOP) {
            List<String> stops = new ArrayList<>(stops());
            stops.add((String) parsed);
            copy.put(key, List.copyOf(stops));
        } else {
            copy.put(key, parsed);
        }
        return new Parameters(copy);
    }

    /** Whether {@code key} is set. */
    public boolean has(Key key) {
        return values.containsKey(key);
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    /** These parameters with every one that {@code over} sets taken from it (its stop strings replace these). */
    public Parameters overriddenBy(Parameters over) {
        EnumMap<Key, Object> copy = new EnumMap<>(values);
        copy.putAll(over.values);
        return new Parameters(copy);
    }

    public Optional<Float> temperature() {
        return Optional.ofNullable((Float) values.get(Key.TEMPERATURE));
    }

    public Optional<Integer> topK() {
        return Optional.ofNullable((Integer) values.get(Key.TOP_K));
    }

    public Optional<Float> topP() {
        return Optional.ofNullable((Float) values.get(Key.TOP_P));
    }

    public Optional<Float> minP() {
        return Optional.ofNullable((Float) values.get(Key.MIN_P));
    }

    public Optional<Float> repeatPenalty() {
        return Optional.ofNullable((Float) values.get(Key.REPEAT_PENALTY));
    }

    public Optional<Integer> repeatLastN() {
        return Optional.ofNullable((Integer) values.get(Key.REPEAT_LAST_N));
    }

    public Optional<Long> seed() {
        return Optional.ofNullable((Long) values.get(Key.SEED));
    }

    @SuppressWarnings("unchecked")
    public List<String> stops() {
        return (List<String>) values.getOrDefault(Key.STOP, List.of());
    }

    public Optional<Integer> maxTokens() {
        return Optional.ofNullable((Integer) values.get(Key.MAX_TOKENS));
    }

    public Optional<Integer> contextLength() {
        return Optional.ofNullable((Integer) values.get(Key.NUM_CTX));
    }

    /** {@code base} with the sampling settings these parameters set. */
    public SamplingParams applyTo(SamplingParams base) {
        return new SamplingParams(temperature().orElse(base.temperature()), topK().orElse(base.topK()),
                topP().orElse(base.topP()), minP().orElse(base.minP()), repeatPenalty().orElse(base.repeatPenalty()),
                base.presencePenalty(), base.frequencyPenalty(), repeatLastN().orElse(base.penaltyLastN()),
                seed().orElse(base.seed()));
    }

    /** The {@code params} layer's JSON object, keys in {@link Key} order. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        values.forEach((k, v) -> json.put(k.key(), v));
        return Collections.unmodifiableMap(json);
    }

    /**
     * Reads a {@code params} object (numbers, strings, and a string or list of strings for
     * {@code stop}); every key and value is checked as in a Plinthfile.
     *
     * @throws IllegalArgumentException naming the key of an unknown or bad entry
     */
    public static Parameters fromJson(Map<String, ?> json) {
        Parameters p = NONE;
        for (Map.Entry<String, ?> e : json.entrySet()) {
            Key key = Key.of(e.getKey()).orElseThrow(() -> new IllegalArgumentException(
                    "unknown parameter '" + e.getKey() + "'; known: " + Key.names()));
            List<?> items = e.getValue() instanceof List<?> list ? list : List.of(e.getValue());
            if (items.size() != 1 && key != Key.STOP) {
                throw new IllegalArgumentException(key.key() + " takes one value, not " + items.size());
            }
            for (Object item : items) {
                p = p.with(key, text(item));
            }
        }
        return p;
    }

    private static String text(Object value) {
        if (value instanceof Double || value instanceof Float) {
            return String.format(Locale.ROOT, "%s", value);
        }
        return String.valueOf(value);
    }

    /** Every setting as {@code key value} lines (a stop string per line), as {@code PARAMETER} takes them. */
    public List<Map.Entry<Key, String>> entries() {
        List<Map.Entry<Key, String>> out = new ArrayList<>();
        values.forEach((k, v) -> {
            if (v instanceof List<?> list) {
                list.forEach(item -> out.add(Map.entry(k, item.toString())));
            } else {
                out.add(Map.entry(k, v.toString()));
            }
        });
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Parameters p && p.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return toJson().toString();
    }
}

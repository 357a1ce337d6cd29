package dev.plinth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Typed, range-checked access to a request object's fields: a field of the wrong type or out of
 * range is a 400 naming it. An absent field and {@code null} both mean "not given".
 */
final class Fields {

    private final ObjectNode node;

    Fields(ObjectNode node) {
        this.node = node;
    }

    ObjectNode node() {
        return node;
    }

    boolean has(String name) {
        JsonNode v = node.get(name);
        return v != null && !v.isNull();
    }

    JsonNode get(String name) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    String requiredString(String name) {
        return string(name).orElseThrow(() -> ApiException.invalid(name, "'" + name + "' is required."));
    }

    Optional<String> string(String name) {
        JsonNode v = get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw ApiException.invalid(name, "'" + name + "' must be a string.");
        }
        return Optional.of(v.textValue());
    }

    Optional<Boolean> bool(String name) {
        JsonNode v = get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isBoolean()) {
            throw ApiException.invalid(name, "'" + name + "' must be true or false.");
        }
        return Optional.of(v.booleanValue());
    }

    /** A whole number in {@code [min, max]}. */
    Optional<Integer> integer(String name, long min, long max) {
        JsonNode v = get(name);
        if (v == null) {
            return Optional.empty();
        }
        return Optional.of(integerValue(v, name, min, max));
    }

    static int integerValue(JsonNode v, String name, long min, long max) {
        if (!v.isIntegralNumber() && !(v.isNumber() && v.asDouble() == Math.rint(v.asDouble()))) {
            throw ApiException.invalid(name, "'" + name + "' must be a whole number.");
        }
        if (!v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw ApiException.invalid(name, "'" + name + "' must be between " + min + " and " + max + ", not " + v + ".");
        }
        return (int) v.asLong();
    }

    /** A whole number (a seed) that fits a long. */
    Optional<Long> longValue(String name) {
        JsonNode v = get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiException.invalid(name, "'" + name + "' must be a whole number that fits 64 bits.");
        }
        return Optional.of(v.asLong());
    }

    /** A finite number in {@code [min, max]}. */
    Optional<Float> number(String name, double min, double max) {
        JsonNode v = get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble()) || v.asDouble() < min || v.asDouble() > max) {
            throw ApiException.invalid(name, "'" + name + "' must be a number between " + min + " and " + max + ".");
        }
        return Optional.of((float) v.asDouble());
    }

    /** A string or an array of at most {@code maxItems} non-empty strings (OpenAI's {@code stop}). */
    List<String> stringOrStrings(String name, int maxItems) {
        JsonNode v = get(name);
        if (v == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (v.isTextual()) {
            out.add(v.textValue());
        } else if (v.isArray()) {
            if (v.size() > maxItems) {
                throw ApiException.invalid(name, "'" + name + "' may hold at most " + maxItems + " items, not " + v.size() + ".");
            }
            for (JsonNode item : v) {
                if (!item.isTextual()) {
                    throw ApiException.invalid(name, "'" + name + "' must be a string or an array of strings.");
                }
                out.add(item.textValue());
            }
        } else {
            throw ApiException.invalid(name, "'" + name + "' must be a string or an array of strings.");
        }
        for (String s : out) {
            if (s.isEmpty()) {
                throw ApiException.invalid(name, "'" + name + "' must not contain an empty string.");
            }
        }
        return out;
    }

    /** An object field, as its own {@code Fields}. */
    Optional<Fields> object(String name) {
        JsonNode v = get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isObject()) {
            throw ApiException.invalid(name, "'" + name + "' must be an object.");
        }
        return Optional.of(new Fields((ObjectNode) v));
    }
}

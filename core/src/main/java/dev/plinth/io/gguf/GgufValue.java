package dev.plinth.io.gguf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One metadata value with its exact GGUF type, so that a file written back is byte-identical.
 *
 * <p>Java representations (canonical; the constructor converts any boxed integer that is in range
 * and rejects everything else): UINT8, INT8, UINT16, INT16, INT32 as {@link Integer}; UINT32,
 * UINT64 and INT64 as {@link Long} (UINT64 keeps its bits); FLOAT32 as {@link Float}; FLOAT64 as
 * {@link Double}; BOOL as {@link Boolean}; STRING as {@link String}; ARRAY as {@link GgufArray}.
 */
public record GgufValue(GgufType type, Object value) {

    public GgufValue {
        Objects.requireNonNull(type, "type");
        value = canonical(type, value);
    }

    /**
     * An array of values of one element type (which may itself be ARRAY, each element then being
     * a {@link GgufArray}). Arrays of fixed-size elements read from a file keep their raw bytes
     * (no boxing until an element is asked for), so memory stays proportional to the file.
     */
    public record GgufArray(GgufType elementType, List<Object> elements) {
        public GgufArray {
            Objects.requireNonNull(elementType, "elementType");
            if (!(elements instanceof PackedList p && p.type() == elementType) && !(elements instanceof ParsedList)) {
                List<Object> copy = new ArrayList<>(elements.size());
                for (Object e : elements) {
                    copy.add(canonical(elementType, e));
                }
                elements = Collections.unmodifiableList(copy);
            }
        }

        public int size() {
            return elements.size();
        }

        /** The elements as floats; for any numeric element type. */
        public float[] toFloatArray() {
            requireNumeric();
            float[] out = new float[elements.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = ((Number) elements.get(i)).floatValue();
            }
            return out;
        }

        /** The elements as longs; for integer element types (UINT64 keeps its bits). */
        public long[] toLongArray() {
            if (!elementType.isInteger()) {
                throw new IllegalStateException("GGUF array of " + elementType + " is not an integer array");
            }
            long[] out = new long[elements.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = ((Number) elements.get(i)).longValue();
            }
            return out;
        }

        private void requireNumeric() {
            if (!elementType.isInteger() && elementType != GgufType.FLOAT32 && elementType != GgufType.FLOAT64) {
                throw new IllegalStateException("GGUF array of " + elementType + " is not numeric");
            }
        }
    }

    public static GgufValue of(String s) {
        return new GgufValue(GgufType.STRING, s);
    }

    public static GgufValue ofUint8(int v) {
        return new GgufValue(GgufType.UINT8, v);
    }

    public static GgufValue ofInt8(int v) {
        return new GgufValue(GgufType.INT8, v);
    }

    public static GgufValue ofUint16(int v) {
        return new GgufValue(GgufType.UINT16, v);
    }

    public static GgufValue ofUint32(long v) {
        return new GgufValue(GgufType.UINT32, v);
    }

    public static GgufValue ofInt32(int v) {
        return new GgufValue(GgufType.INT32, v);
    }

    /** A UINT64 holding the bits of {@code v} (values above 2^63-1 are negative longs). */
    public static GgufValue ofUint64(long v) {
        return new GgufValue(GgufType.UINT64, v);
    }

    public static GgufValue ofInt64(long v) {
        return new GgufValue(GgufType.INT64, v);
    }

    public static GgufValue ofFloat32(float v) {
        return new GgufValue(GgufType.FLOAT32, v);
    }

    public static GgufValue ofFloat64(double v) {
        return new GgufValue(GgufType.FLOAT64, v);
    }

    public static GgufValue ofBool(boolean v) {
        return new GgufValue(GgufType.BOOL, v);
    }

    public static GgufValue ofArray(GgufType elementType, List<?> elements) {
        return new GgufValue(GgufType.ARRAY, new GgufArray(elementType, List.copyOf(elements)));
    }

    /** The value as a long, for any integer type. */
    public long asLong() {
        if (type.isInteger()) {
            return ((Number) value).longValue();
        }
        throw new IllegalStateException("GGUF value of type " + type + " is not an integer");
    }

    /** The value as a double, for any numeric type. */
    public double asDouble() {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        throw new IllegalStateException("GGUF value of type " + type + " is not a number");
    }

    public String asString() {
        if (value instanceof String s) {
            return s;
        }
        throw new IllegalStateException("GGUF value of type " + type + " is not a string");
    }

    public boolean asBool() {
        if (value instanceof Boolean b) {
            return b;
        }
        throw new IllegalStateException("GGUF value of type " + type + " is not a bool");
    }

    public GgufArray asArray() {
        if (value instanceof GgufArray a) {
            return a;
        }
        throw new IllegalStateException("GGUF value of type " + type + " is not an array");
    }

    /** {@code v} in the canonical Java representation of {@code type}; IllegalArgumentException if it has none. */
    static Object canonical(GgufType type, Object v) {
        Objects.requireNonNull(v, () -> "GGUF " + type + " value is null");
        return switch (type) {
            case UINT8 -> (int) integral(type, v, 0, 0xFF);
            case INT8 -> (int) integral(type, v, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case UINT16 -> (int) integral(type, v, 0, 0xFFFF);
            case INT16 -> (int) integral(type, v, Short.MIN_VALUE, Short.MAX_VALUE);
            case UINT32 -> integral(type, v, 0, 0xFFFF_FFFFL);
            case INT32 -> (int) integral(type, v, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case UINT64, INT64 -> integral(type, v, Long.MIN_VALUE, Long.MAX_VALUE);
            case FLOAT32 -> v instanceof Float f ? f : mismatch(type, v);
            case FLOAT64 -> v instanceof Double d ? d : v instanceof Float f ? (Object) (double) f : mismatch(type, v);
            case BOOL -> v instanceof Boolean b ? b : mismatch(type, v);
            case STRING -> v instanceof String s ? s : mismatch(type, v);
            case ARRAY -> v instanceof GgufArray a ? a : mismatch(type, v);
        };
    }

    private static long integral(GgufType type, Object v, long min, long max) {
        if (!(v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte)) {
            mismatch(type, v);
        }
        long x = ((Number) v).longValue();
        if (x < min || x > max) {
            throw new IllegalArgumentException(x + " is out of range for GGUF " + type);
        }
        return x;
    }

    private static Object mismatch(GgufType type, Object v) {
        throw new IllegalArgumentException("a " + v.getClass().getSimpleName() + " cannot be a GGUF " + type + " value");
    }
}

package dev.plinth.io.gguf;

import java.util.List;

/**
 * One metadata value with its exact GGUF type, so that a file written back is byte-identical.
 *
 * <p>Java representations: UINT8, INT8, UINT16, INT16, INT32 as {@link Integer}; UINT32, UINT64
 * and INT64 as {@link Long} (UINT64 keeps its bits); FLOAT32 as {@link Float}; FLOAT64 as
 * {@link Double}; BOOL as {@link Boolean}; STRING as {@link String}; ARRAY as {@link GgufArray}.
 */
public record GgufValue(GgufType type, Object value) {

    /** An array of values of one element type (which may itself be ARRAY). */
    public record GgufArray(GgufType elementType, List<Object> elements) {
        public GgufArray {
            elements = List.copyOf(elements);
        }
    }

    public static GgufValue of(String s) {
        return new GgufValue(GgufType.STRING, s);
    }

    public static GgufValue ofUint32(long v) {
        return new GgufValue(GgufType.UINT32, v);
    }

    public static GgufValue ofInt32(int v) {
        return new GgufValue(GgufType.INT32, v);
    }

    public static GgufValue ofUint64(long v) {
        return new GgufValue(GgufType.UINT64, v);
    }

    public static GgufValue ofFloat32(float v) {
        return new GgufValue(GgufType.FLOAT32, v);
    }

    public static GgufValue ofBool(boolean v) {
        return new GgufValue(GgufType.BOOL, v);
    }

    public static GgufValue ofArray(GgufType elementType, List<?> elements) {
        return new GgufValue(GgufType.ARRAY, new GgufArray(elementType, List.copyOf(elements)));
    }

    /** The value as a long, for any integer type. */
    public long asLong() {
        if (value instanceof Number n && type != GgufType.FLOAT32 && type != GgufType.FLOAT64) {
            return n.longValue();
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

    public GgufArray asArray() {
        if (value instanceof GgufArray a) {
            return a;
        }
        throw new IllegalStateException("GGUF value of type " + type + " is not an array");
    }
}

package dev.plinth.io.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * An immutable list of fixed-size GGUF values kept as their little-endian bytes, boxing an element
 * only when asked for it: a large array costs its file size, not twenty times that.
 */
final class PackedList extends AbstractList<Object> implements RandomAccess {

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final GgufType type;
    private final byte[] bytes;
    private final MemorySegment seg;
    private final int size;

    /** {@code bytes} are owned by the list from now on; BOOL bytes must be 0 or 1. */
    PackedList(GgufType type, byte[] bytes) {
        if (type.fixedBytes() <= 0 || bytes.length % type.fixedBytes() != 0) {
            throw new IllegalArgumentException(bytes.length + " bytes are not a whole number of " + type + " values");
        }
        this.type = type;
        this.bytes = bytes;
        this.seg = MemorySegment.ofArray(bytes);
        this.size = bytes.length / type.fixedBytes();
    }

    GgufType type() {
        return type;
    }

    /** The raw bytes, exactly as they go into a file. Do not modify. */
    byte[] rawBytes() {
        return bytes;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Object get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(index);
        }
        long at = (long) index * type.fixedBytes();
        return switch (type) {
            case UINT8 -> Byte.toUnsignedInt(bytes[index]);
            case INT8 -> (int) bytes[index];
            case UINT16 -> Short.toUnsignedInt(seg.get(SHORT, at));
            case INT16 -> (int) seg.get(SHORT, at);
            case UINT32 -> Integer.toUnsignedLong(seg.get(INT, at));
            case INT32 -> seg.get(INT, at);
            case FLOAT32 -> Float.intBitsToFloat(seg.get(INT, at));
            case BOOL -> bytes[index] != 0;
            case UINT64, INT64 -> seg.get(LONG, at);
            case FLOAT64 -> Double.longBitsToDouble(seg.get(LONG, at));
            case STRING, ARRAY -> throw new IllegalStateException(type.toString());
        };
    }
}

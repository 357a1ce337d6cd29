package dev.plinth.io.onnx;

import dev.plinth.io.ModelFormatException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A cursor over protobuf wire format inside {@code [position, limit)} of a segment. Every length
 * read from the input is checked against the current limit before anything is sliced or allocated.
 */
final class ProtoReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private final Path file;
    private final MemorySegment seg;
    private long pos;
    private final long limit;

    ProtoReader(Path file, MemorySegment seg, long start, long limit) {
        this.file = file;
        this.seg = seg;
        this.pos = start;
        this.limit = limit;
    }

    boolean hasMore() {
        return pos < limit;
    }

    long position() {
        return pos;
    }

    /** The next field's tag (field number &lt;&lt; 3 | wire type). */
    long readTag(String message) throws ModelFormatException {
        long at = pos;
        long tag = readVarint(message + " tag");
        if ((tag >>> 3) == 0 || (tag >>> 3) > 536_870_911L) {
            throw error(message + " tag", at, "field number " + (tag >>> 3) + " is out of range");
        }
        return tag;
    }

    long readVarint(String field) throws ModelFormatException {
        long at = pos;
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= limit) {
                throw error(field, at, "varint runs past the end of its message");
            }
            int b = seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
            if (shift == 63 && b > 1) {
                throw error(field, at, "varint overflows 64 bits");
            }
            result |= (long) (b & 0x7F) << shift;
            if (b < 0x80) {
                return result;
            }
        }
        throw error(field, at, "varint longer than 10 bytes");
    }

    /** A varint that must fit a non-negative int (enums, counts). */
    int readInt(String field) throws ModelFormatException {
        long at = pos;
        long v = readVarint(field);
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw error(field, at, "value " + v + " does not fit an int");
        }
        return (int) v;
    }

    /** Reads a length prefix and returns {@code [start, end)} of the payload, advancing past it. */
    long[] readBounds(String field) throws ModelFormatException {
        long at = pos;
        long len = readVarint(field + " length");
        if (len < 0 || len > limit - pos) {
            throw error(field, at, "length " + Long.toUnsignedString(len) + " runs past the end of its message ("
                    + (limit - pos) + " bytes left)");
        }
        long start = pos;
        pos += len;
        return new long[] {start, pos};
    }

    ProtoReader readMessage(String field) throws ModelFormatException {
        long[] b = readBounds(field);
        return new ProtoReader(file, seg, b[0], b[1]);
    }

    String readString(String field) throws ModelFormatException {
        long[] b = readBounds(field);
        if (b[1] - b[0] > 1 << 20) {
            throw error(field, b[0], "string of " + (b[1] - b[0]) + " bytes is longer than 1 MiB");
        }
        byte[] bytes = seg.asSlice(b[0], b[1] - b[0]).toArray(ValueLayout.JAVA_BYTE);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    float readFixed32Float(String field) throws ModelFormatException {
        need(4, field);
        float v = seg.get(OnnxModel.FLOAT, pos);
        pos += 4;
        return v;
    }

    void skip(long tag, String message) throws ModelFormatException {
        int wire = (int) (tag & 7);
        String field = message + " field " + (tag >>> 3);
        switch (wire) {
            case VARINT -> readVarint(field);
            case FIXED64 -> {
                need(8, field);
                pos += 8;
            }
            case LENGTH_DELIMITED -> readBounds(field);
            case FIXED32 -> {
                need(4, field);
                pos += 4;
            }
            default -> throw error(field, pos, "unsupported wire type " + wire);
        }
    }

    void expectWire(long tag, int wire, String field) throws ModelFormatException {
        if ((tag & 7) != wire) {
            throw error(field, pos, "wire type " + (tag & 7) + " where " + wire + " was expected");
        }
    }

    ModelFormatException error(String field, long offset, String problem) {
        return new ModelFormatException(file, field, offset, problem);
    }

    private void need(long n, String field) throws ModelFormatException {
        if (n > limit - pos) {
            throw error(field, pos, "needs " + n + " bytes, " + (limit - pos) + " left in its message");
        }
    }
}

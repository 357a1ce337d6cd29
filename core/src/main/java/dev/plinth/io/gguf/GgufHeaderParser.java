package dev.plinth.io.gguf;

import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses a GGUF header from a segment, trusting nothing: every count, length and offset is
 * checked against what the file can hold before anything is allocated.
 */
final class GgufHeaderParser {

    static final int MAGIC = 0x46554747; // "GGUF" read little-endian
    private static final int MAX_DIMS = 4; // GGML_MAX_DIMS
    private static final int MAX_ARRAY_NESTING = 8;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    record Header(int version, Map<String, GgufValue> metadata, List<GgufFile.TensorInfo> tensors,
                  long dataStart, int alignment) {
    }

    private final Path path;
    private final MemorySegment seg;
    private final long size;
    private long pos;
    private String field = "magic";

    GgufHeaderParser(Path path, MemorySegment seg) {
        this.path = path;
        this.seg = seg;
        this.size = seg.byteSize();
    }

    Header parse() throws ModelFormatException {
        int magic = readInt("magic");
        if (magic != MAGIC) {
            throw fail(0, "not a GGUF file (magic is 0x" + Integer.toHexString(magic) + ", expected \"GGUF\")");
        }
        int version = readInt("version");
        if (version != 2 && version != 3) {
            throw fail(4, "unsupported GGUF version " + Integer.toUnsignedString(version) + " (Plinth reads 2 and 3)");
        }
        long tensorCount = readCount("tensor_count", 24);
        long kvCount = readCount("metadata_kv_count", 8 + 4 + 1);

        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long keyAt = pos;
            String key = readString("metadata key #" + i);
            field = key;
            GgufType type = readType(key);
            GgufValue value = readValue(key, type, 0);
            if (metadata.put(key, value) != null) {
                throw fail(keyAt, "duplicate metadata key '" + key + "'");
            }
        }

        int alignment = GgufFile.DEFAULT_ALIGNMENT;
        GgufValue align = metadata.get("general.alignment");
        if (align != null) {
            long a = align.type() == GgufType.UINT32 || align.type() == GgufType.INT32 ? align.asLong() : -1;
            if (a <= 0 || a > (1 << 20) || (a & (a - 1)) != 0) {
                throw fail(-1, "general.alignment must be a power of two up to 1 MiB stored as uint32, was " + align.value());
            }
            alignment = (int) a;
        }

        List<GgufFile.TensorInfo> infos = new ArrayList<>((int) Math.min(tensorCount, 1 << 16));
        Set<String> names = new HashSet<>();
        long[] infoOffsets = new long[(int) tensorCount];
        for (int i = 0; i < tensorCount; i++) {
            infoOffsets[i] = pos;
            GgufFile.TensorInfo info = readTensorInfo(i, alignment);
            if (!names.add(info.name())) {
                throw fail(infoOffsets[i], "duplicate tensor name '" + info.name() + "'");
            }
            infos.add(info);
        }

        long dataStart = alignUp(pos, alignment);
        checkTensorsFit(infos, infoOffsets, dataStart);
        return new Header(version, metadata, infos, dataStart, alignment);
    }

    private GgufFile.TensorInfo readTensorInfo(int index, int alignment) throws ModelFormatException {
        String name = readString("tensor #" + index + " name");
        field = "tensor '" + name + "'";
        long dimsAt = pos;
        int nDims = readInt(field + " n_dims");
        if (nDims < 0 || nDims > MAX_DIMS) {
            throw fail(dimsAt, "tensor '" + name + "' has " + Integer.toUnsignedString(nDims) + " dimensions (at most " + MAX_DIMS + ")");
        }
        long[] ggmlDims = new long[nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            long at = pos;
            long dim = readLong(field + " ne[" + d + "]");
            if (dim <= 0) {
                throw fail(at, "tensor '" + name + "' dimension " + d + " is " + Long.toUnsignedString(dim) + " (must be positive)");
            }
            if (elements > Long.MAX_VALUE / dim) {
                throw fail(at, "tensor '" + name + "' element count overflows");
            }
            elements *= dim;
            ggmlDims[d] = dim;
        }
        long typeAt = pos;
        int typeId = readInt(field + " type");
        DType dtype = DType.fromGgmlId(typeId);
        if (dtype == null) {
            throw fail(typeAt, "tensor '" + name + "' has unknown GGML type " + Integer.toUnsignedString(typeId));
        }
        if (nDims > 0 && ggmlDims[0] % dtype.blockSize() != 0) {
            throw fail(typeAt, "tensor '" + name + "' row length " + ggmlDims[0] + " is not a multiple of the " + dtype + " block size " + dtype.blockSize());
        }
        long byteSize = dtype.byteSize(elements);
        if (byteSize < 0 || byteSize > size) {
            throw fail(typeAt, "tensor '" + name + "' of " + elements + " " + dtype + " elements cannot fit in a " + size + "-byte file");
        }
        long offAt = pos;
        long offset = readLong(field + " offset");
        if (offset < 0 || offset % alignment != 0) {
            throw fail(offAt, "tensor '" + name + "' data offset " + Long.toUnsignedString(offset) + " is not a multiple of the alignment " + alignment);
        }
        long[] shape = new long[nDims];
        for (int d = 0; d < nDims; d++) {
            shape[d] = ggmlDims[nDims - 1 - d];
        }
        return new GgufFile.TensorInfo(name, dtype, shape, offset, byteSize);
    }

    private void checkTensorsFit(List<GgufFile.TensorInfo> infos, long[] infoOffsets, long dataStart) throws ModelFormatException {
        if (infos.isEmpty()) {
            return;
        }
        if (dataStart > size) {
            throw fail(pos, "tensor data would start at " + dataStart + ", past the end of the " + size + "-byte file");
        }
        long dataBytes = size - dataStart;
        Integer[] order = new Integer[infos.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compare(infos.get(a).offset(), infos.get(b).offset()));
        long prevEnd = 0;
        String prevName = null;
        for (int idx : order) {
            GgufFile.TensorInfo t = infos.get(idx);
            if (t.offset() > dataBytes || t.byteSize() > dataBytes - t.offset()) {
                throw new ModelFormatException(path, "tensor '" + t.name() + "' offset", infoOffsets[idx],
                        "tensor data [" + t.offset() + ", +" + t.byteSize() + ") run past the end of the file ("
                                + dataBytes + " data bytes after offset " + dataStart + "); the file may be truncated");
            }
            if (t.offset() < prevEnd) {
                throw new ModelFormatException(path, "tensor '" + t.name() + "' offset", infoOffsets[idx],
                        "tensor data overlap tensor '" + prevName + "'");
            }
            prevEnd = t.offset() + t.byteSize();
            prevName = t.name();
        }
    }

    private GgufValue readValue(String key, GgufType type, int depth) throws ModelFormatException {
        return new GgufValue(type, readRaw(key, type, depth));
    }

    private Object readRaw(String key, GgufType type, int depth) throws ModelFormatException {
        return switch (type) {
            case UINT8 -> Byte.toUnsignedInt(readByte(key));
            case INT8 -> (int) readByte(key);
            case UINT16 -> Short.toUnsignedInt(readShort(key));
            case INT16 -> (int) readShort(key);
            case UINT32 -> Integer.toUnsignedLong(readInt(key));
            case INT32 -> readInt(key);
            case FLOAT32 -> Float.intBitsToFloat(readInt(key));
            case BOOL -> {
                long at = pos;
                byte b = readByte(key);
                if (b != 0 && b != 1) {
                    throw fail(at, "bool value of '" + key + "' is " + b + " (must be 0 or 1)");
                }
                yield b == 1;
            }
            case STRING -> readString(key);
            case UINT64, INT64 -> readLong(key);
            case FLOAT64 -> Double.longBitsToDouble(readLong(key));
            case ARRAY -> readArray(key, depth);
        };
    }

    private GgufValue.GgufArray readArray(String key, int depth) throws ModelFormatException {
        if (depth >= MAX_ARRAY_NESTING) {
            throw fail(pos, "arrays in '" + key + "' nest deeper than " + MAX_ARRAY_NESTING);
        }
        GgufType elementType = readType(key);
        int minElementBytes = elementType.fixedBytes() > 0 ? elementType.fixedBytes()
                : elementType == GgufType.STRING ? 8 : 12;
        long count = readCount(key + " array length", minElementBytes);
        List<Object> elements = GgufFile.newList(count);
        for (long i = 0; i < count; i++) {
            elements.add(readRaw(key, elementType, depth + 1));
        }
        return new GgufValue.GgufArray(elementType, elements);
    }

    private GgufType readType(String key) throws ModelFormatException {
        long at = pos;
        int id = readInt(key + " type");
        GgufType t = GgufType.fromId(Integer.toUnsignedLong(id));
        if (t == null) {
            throw fail(at, "unknown metadata value type " + Integer.toUnsignedString(id) + " for '" + key + "'");
        }
        return t;
    }

    /** A uint64 count whose items take at least {@code minItemBytes} each: must fit in the rest of the file. */
    private long readCount(String what, int minItemBytes) throws ModelFormatException {
        long at = pos;
        long n = readLong(what);
        if (n < 0 || n > (size - pos) / minItemBytes || n > Integer.MAX_VALUE - 8) {
            throw fail(at, what + " is " + Long.toUnsignedString(n) + ", more than the " + (size - pos) + " remaining bytes can hold");
        }
        return n;
    }

    private String readString(String what) throws ModelFormatException {
        long at = pos;
        long len = readLong(what + " length");
        if (len < 0 || len > size - pos || len > Integer.MAX_VALUE - 8) {
            throw fail(at, what + " length " + Long.toUnsignedString(len) + " runs past the end of the file (" + (size - pos) + " bytes left)");
        }
        byte[] bytes = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
        try {
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            pos += len;
            return s;
        } catch (CharacterCodingException e) {
            throw fail(at + 8, what + " is not valid UTF-8");
        }
    }

    private byte readByte(String what) throws ModelFormatException {
        need(1, what);
        return seg.get(ValueLayout.JAVA_BYTE, pos++);
    }

    private short readShort(String what) throws ModelFormatException {
        need(2, what);
        short v = seg.get(SHORT, pos);
        pos += 2;
        return v;
    }

    private int readInt(String what) throws ModelFormatException {
        need(4, what);
        int v = seg.get(INT, pos);
        pos += 4;
        return v;
    }

    private long readLong(String what) throws ModelFormatException {
        need(8, what);
        long v = seg.get(LONG, pos);
        pos += 8;
        return v;
    }

    private void need(int bytes, String what) throws ModelFormatException {
        if (size - pos < bytes) {
            field = what;
            throw fail(pos, "file ends after " + size + " bytes while reading " + what + " (truncated?)");
        }
    }

    static long alignUp(long v, int alignment) {
        return (v + alignment - 1) / alignment * alignment;
    }

    private ModelFormatException fail(long offset, String problem) {
        return new ModelFormatException(path, field, offset, problem);
    }
}

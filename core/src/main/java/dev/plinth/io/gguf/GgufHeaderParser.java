package dev.plinth.io.gguf;

import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses a GGUF header from a segment, trusting nothing: every count, length and offset is
 * checked against what the file can still hold before anything is allocated, so memory stays
 * proportional to the bytes actually present and every problem becomes a
 * {@link ModelFormatException} naming the field and its byte offset.
 *
 * <p>Rules follow llama.cpp's reader (ggml/src/gguf.cpp) where it is strict: versions 2 and 3,
 * non-empty unique keys, {@code general.alignment} a power of two stored as UINT32, at most four
 * dimensions, non-negative dimensions, rows a whole number of blocks, tensor names under 64
 * bytes. Plinth is stricter on values (valid UTF-8, bools 0 or 1) so that a file written back is
 * byte-identical, and laxer on layout: tensor data may lie anywhere in the data section as long as
 * it is aligned, inside the file and does not overlap another tensor.
 */
final class GgufHeaderParser {

    static final int MAGIC = 0x46554747; // "GGUF" read little-endian
    static final int MAX_DIMS = 4; // GGML_MAX_DIMS
    static final int MAX_ARRAY_NESTING = 8;
    static final int MAX_NAME_BYTES = 63; // GGML_MAX_NAME (64) including the terminating NUL
    static final long MAX_JAVA_ARRAY = Integer.MAX_VALUE - 8;
    static final String ALIGNMENT_KEY = "general.alignment";

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int TENSOR_INFO_MIN_BYTES = 8 + 4 + 4 + 8; // name length, n_dims, type, offset
    private static final int KV_MIN_BYTES = 8 + 4 + 1; // key length, type, smallest value

    record Header(int version, Map<String, GgufValue> metadata, List<GgufFile.TensorInfo> tensors,
                  long headerEnd, long dataStart, int alignment) {
    }

    private final Path path;
    private final MemorySegment seg;
    private final long size;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private long pos;

    /** The field being read: a base name plus the indices of the array elements being read. */
    private String context = "";
    private final long[] indices = new long[MAX_ARRAY_NESTING + 1];
    private int depth;

    GgufHeaderParser(Path path, MemorySegment seg) {
        this.path = path;
        this.seg = seg;
        this.size = seg.byteSize();
    }

    Header parse() throws ModelFormatException {
        int magic = readInt("magic");
        if (magic != MAGIC) {
            throw fail(0, "magic", "not a GGUF file (magic is 0x" + Integer.toHexString(magic) + ", expected \"GGUF\")");
        }
        int version = readInt("version");
        if (version != 2 && version != 3) {
            throw fail(4, "version", "unsupported GGUF version " + Integer.toUnsignedString(version)
                    + (version == 1 ? " (v1 is obsolete; convert the file again)" : "") + " (Plinth reads 2 and 3)");
        }
        long tensorCount = readCount("tensor_count", TENSOR_INFO_MIN_BYTES);
        long kvCount = readCount("metadata_kv_count", KV_MIN_BYTES);

        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        long alignmentAt = -1;
        for (long i = 0; i < kvCount; i++) {
            long keyAt = pos;
            context = "metadata key #" + i;
            String key = readString("");
            if (key.isEmpty()) {
                throw fail(keyAt, "", "metadata key #" + i + " is empty");
            }
            if (metadata.containsKey(key)) {
                throw fail(keyAt, "", "duplicate metadata key '" + key + "'");
            }
            context = key;
            GgufType type = readType("type");
            if (key.equals(ALIGNMENT_KEY)) {
                alignmentAt = pos;
            }
            metadata.put(key, new GgufValue(type, readValue(type)));
        }
        context = "";

        int alignment = alignment(metadata.get(ALIGNMENT_KEY), alignmentAt);

        List<GgufFile.TensorInfo> infos = new ArrayList<>((int) tensorCount);
        Map<String, Integer> indexByName = new HashMap<>();
        long[] offsetFields = new long[(int) tensorCount];
        for (int i = 0; i < tensorCount; i++) {
            long infoAt = pos;
            GgufFile.TensorInfo info = readTensorInfo(i, alignment);
            offsetFields[i] = pos - 8;
            Integer earlier = indexByName.putIfAbsent(info.name(), i);
            if (earlier != null) {
                context = "";
                throw fail(infoAt, "tensor #" + i + " name",
                        "duplicate tensor name '" + info.name() + "' (also tensor #" + earlier + ")");
            }
            infos.add(info);
        }
        context = "";
        long headerEnd = pos;
        long dataStart = alignUp(headerEnd, alignment);
        checkTensorsFit(infos, offsetFields, dataStart);
        return new Header(version, metadata, infos, headerEnd, dataStart, alignment);
    }

    private int alignment(GgufValue value, long at) throws ModelFormatException {
        if (value == null) {
            return GgufFile.DEFAULT_ALIGNMENT;
        }
        if (value.type() != GgufType.UINT32) {
            throw fail(at - 4, ALIGNMENT_KEY, "general.alignment must be stored as UINT32, not " + value.type());
        }
        long a = value.asLong();
        if (a == 0 || (a & (a - 1)) != 0) {
            throw fail(at, ALIGNMENT_KEY, "general.alignment is " + a + ", not a power of two");
        }
        if (a > 1L << 30) {
            throw fail(at, ALIGNMENT_KEY, "general.alignment " + a + " is larger than the 2^30 Plinth supports");
        }
        return (int) a;
    }

    private GgufFile.TensorInfo readTensorInfo(int index, int alignment) throws ModelFormatException {
        context = "tensor #" + index + " name";
        long nameAt = pos;
        String name = readString("");
        int nameBytes = (int) (pos - nameAt - 8);
        if (nameBytes > MAX_NAME_BYTES) {
            throw fail(nameAt, "", "tensor name '" + name + "' is " + nameBytes + " bytes long (GGUF allows at most " + MAX_NAME_BYTES + ")");
        }
        context = "tensor '" + name + "'";
        long dimsAt = pos;
        int nDims = readInt("n_dims");
        if (nDims < 0 || nDims > MAX_DIMS) {
            throw fail(dimsAt, "n_dims", "tensor '" + name + "' has " + Integer.toUnsignedString(nDims)
                    + " dimensions (at most " + MAX_DIMS + ")");
        }
        long[] ggmlDims = new long[nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            long at = pos;
            long dim = readLong("ne[" + d + "]");
            if (dim < 0) {
                throw fail(at, "ne[" + d + "]", "tensor '" + name + "' dimension " + d + " is "
                        + Long.toUnsignedString(dim) + " (must be below 2^63)");
            }
            if (dim != 0 && elements > Long.MAX_VALUE / dim) {
                throw fail(at, "ne[" + d + "]", "tensor '" + name + "' element count overflows 2^63 with dimension "
                        + d + " = " + dim);
            }
            elements *= dim;
            ggmlDims[d] = dim;
        }
        long typeAt = pos;
        int typeId = readInt("type");
        DType dtype = DType.fromGgmlId(typeId);
        if (dtype == null) {
            throw fail(typeAt, "type", "tensor '" + name + "' has unknown GGML type " + Integer.toUnsignedString(typeId));
        }
        long rowLength = nDims > 0 ? ggmlDims[0] : 1;
        if (rowLength % dtype.blockSize() != 0) {
            throw fail(typeAt, "type", "tensor '" + name + "' row length " + rowLength
                    + " is not a multiple of the " + dtype + " block size " + dtype.blockSize());
        }
        long byteSize = dtype.byteSize(elements);
        if (byteSize < 0 || byteSize > size) {
            throw fail(typeAt, "type", "tensor '" + name + "' of " + elements + " " + dtype
                    + " elements cannot fit in a " + size + "-byte file");
        }
        long offAt = pos;
        long offset = readLong("offset");
        if (offset < 0 || offset > size) {
            throw fail(offAt, "offset", "tensor '" + name + "' data offset " + Long.toUnsignedString(offset)
                    + " lies beyond the end of the " + size + "-byte file");
        }
        if (offset % alignment != 0) {
            throw fail(offAt, "offset", "tensor '" + name + "' data offset " + offset
                    + " is not a multiple of the alignment " + alignment);
        }
        long[] shape = new long[nDims];
        for (int d = 0; d < nDims; d++) {
            shape[d] = ggmlDims[nDims - 1 - d];
        }
        return new GgufFile.TensorInfo(name, dtype, shape, offset, byteSize);
    }

    private void checkTensorsFit(List<GgufFile.TensorInfo> infos, long[] offsetFields, long dataStart)
            throws ModelFormatException {
        if (infos.isEmpty()) {
            return;
        }
        if (dataStart > size) {
            throw fail(pos, "tensor data", "tensor data would start at " + dataStart + ", past the end of the "
                    + size + "-byte file (truncated?)");
        }
        long dataBytes = size - dataStart;
        Integer[] order = new Integer[infos.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        // by offset, empty tensors first so that one sharing an offset with its successor is no overlap
        Arrays.sort(order, (a, b) -> {
            int c = Long.compare(infos.get(a).offset(), infos.get(b).offset());
            return c != 0 ? c : Long.compare(infos.get(a).byteSize(), infos.get(b).byteSize());
        });
        long prevEnd = 0;
        String prevName = null;
        for (int idx : order) {
            GgufFile.TensorInfo t = infos.get(idx);
            long offsetField = offsetFields[idx];
            if (t.offset() > dataBytes || t.byteSize() > dataBytes - t.offset()) {
                throw new ModelFormatException(path, "tensor '" + t.name() + "' offset", offsetField,
                        "tensor data [" + t.offset() + ", +" + t.byteSize() + ") run past the end of the file ("
                                + dataBytes + " data bytes after offset " + dataStart + "); the file may be truncated");
            }
            if (t.offset() < prevEnd) {
                throw new ModelFormatException(path, "tensor '" + t.name() + "' offset", offsetField,
                        "tensor data [" + t.offset() + ", +" + t.byteSize() + ") overlap those of tensor '" + prevName
                                + "', which end at " + prevEnd);
            }
            prevEnd = t.offset() + t.byteSize();
            prevName = t.name();
        }
    }

    private Object readValue(GgufType type) throws ModelFormatException {
        return switch (type) {
            case UINT8 -> Byte.toUnsignedInt(readByte(""));
            case INT8 -> (int) readByte("");
            case UINT16 -> Short.toUnsignedInt(readShort(""));
            case INT16 -> (int) readShort("");
            case UINT32 -> Integer.toUnsignedLong(readInt(""));
            case INT32 -> readInt("");
            case FLOAT32 -> Float.intBitsToFloat(readInt(""));
            case BOOL -> {
                long at = pos;
                byte b = readByte("");
                if (b != 0 && b != 1) {
                    throw fail(at, "", "bool value is " + b + " (must be 0 or 1)");
                }
                yield b == 1;
            }
            case STRING -> readString("");
            case UINT64, INT64 -> readLong("");
            case FLOAT64 -> Double.longBitsToDouble(readLong(""));
            case ARRAY -> readArray();
        };
    }

    private GgufValue.GgufArray readArray() throws ModelFormatException {
        if (depth >= MAX_ARRAY_NESTING) {
            throw fail(pos, "type", "arrays nest deeper than " + MAX_ARRAY_NESTING + " levels");
        }
        GgufType elementType = readType("element type");
        int fixed = elementType.fixedBytes();
        int minElementBytes = fixed > 0 ? fixed : elementType == GgufType.STRING ? 8 : 4 + 8;
        long countAt = pos;
        long count = readCount("array length", minElementBytes);
        if (fixed > 0) {
            return new GgufValue.GgufArray(elementType, readPacked(elementType, count, countAt + 8));
        }
        // exact size is safe: readCount bounded count by the bytes left, at 8 or more per element
        Object[] elements = new Object[(int) count];
        depth++;
        try {
            for (int i = 0; i < elements.length; i++) {
                indices[depth - 1] = i;
                elements[i] = readValue(elementType);
            }
        } finally {
            depth--;
        }
        return new GgufValue.GgufArray(elementType, new ParsedList(elements));
    }

    private PackedList readPacked(GgufType type, long count, long at) throws ModelFormatException {
        long bytes = count * type.fixedBytes(); // no overflow: readCount bounded count by the bytes left
        byte[] raw = seg.asSlice(pos, bytes).toArray(ValueLayout.JAVA_BYTE);
        if (type == GgufType.BOOL) {
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] != 0 && raw[i] != 1) {
                    indices[depth] = i;
                    depth++;
                    throw fail(at + i, "", "bool value is " + raw[i] + " (must be 0 or 1)");
                }
            }
        }
        pos += bytes;
        return new PackedList(type, raw);
    }

    private GgufType readType(String part) throws ModelFormatException {
        long at = pos;
        int id = readInt(part);
        GgufType t = GgufType.fromId(Integer.toUnsignedLong(id));
        if (t == null) {
            throw fail(at, part, "unknown metadata value type " + Integer.toUnsignedString(id));
        }
        return t;
    }

    /** A uint64 count of items taking at least {@code minItemBytes} each: they must fit in the rest of the file. */
    private long readCount(String part, int minItemBytes) throws ModelFormatException {
        long at = pos;
        long n = readLong(part);
        long left = size - pos;
        if (n < 0 || n > left / minItemBytes) {
            throw fail(at, part, part + " is " + Long.toUnsignedString(n) + ", but the " + left
                    + " bytes left in the file hold at most " + left / minItemBytes);
        }
        if (n * minItemBytes > MAX_JAVA_ARRAY) {
            throw fail(at, part, part + " is " + n + ", more than Plinth can hold in one array");
        }
        return n;
    }

    private String readString(String part) throws ModelFormatException {
        String lengthPart = part.isEmpty() ? "length" : part + " length";
        long at = pos;
        long len = readLong(lengthPart);
        long left = size - pos;
        if (len < 0 || len > left) {
            throw fail(at, lengthPart, "string length " + Long.toUnsignedString(len)
                    + " runs past the end of the file (" + left + " bytes left)");
        }
        if (len > MAX_JAVA_ARRAY) {
            throw fail(at, lengthPart, "string length " + len + " is more than Plinth can hold");
        }
        if (len == 0) {
            return ""; // no allocation: a flood of empty strings costs only the list that holds them
        }
        byte[] bytes = new byte[(int) len];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, bytes, 0, (int) len);
        String s = decode(bytes, at + 8, part);
        pos += len;
        return s;
    }

    private String decode(byte[] bytes, long at, String part) throws ModelFormatException {
        boolean ascii = true;
        for (byte b : bytes) {
            if (b < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(bytes, StandardCharsets.US_ASCII);
        }
        try {
            return utf8.reset().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw fail(at, part, "string is not valid UTF-8");
        }
    }

    private byte readByte(String part) throws ModelFormatException {
        need(1, part);
        return seg.get(ValueLayout.JAVA_BYTE, pos++);
    }

    private short readShort(String part) throws ModelFormatException {
        need(2, part);
        short v = seg.get(SHORT, pos);
        pos += 2;
        return v;
    }

    private int readInt(String part) throws ModelFormatException {
        need(4, part);
        int v = seg.get(INT, pos);
        pos += 4;
        return v;
    }

    private long readLong(String part) throws ModelFormatException {
        need(8, part);
        long v = seg.get(LONG, pos);
        pos += 8;
        return v;
    }

    private void need(int bytes, String part) throws ModelFormatException {
        if (size - pos < bytes) {
            throw fail(pos, part, "file ends after " + size + " bytes, inside this " + bytes
                    + "-byte field (truncated?)");
        }
    }

    static long alignUp(long v, long alignment) {
        return (v + alignment - 1) / alignment * alignment;
    }

    private String field(String part) {
        StringBuilder sb = new StringBuilder(context);
        for (int i = 0; i < depth; i++) {
            sb.append('[').append(indices[i]).append(']');
        }
        if (!part.isEmpty()) {
            sb.append(sb.isEmpty() ? "" : " ").append(part);
        }
        return sb.toString();
    }

    private ModelFormatException fail(long offset, String part, String problem) {
        return new ModelFormatException(path, field(part), offset, problem);
    }
}

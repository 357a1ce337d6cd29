package dev.plinth.io.gguf;

import dev.plinth.io.MappedFiles;
import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (version 2 or 3), memory-mapped: metadata and tensor infos are parsed at open, tensor
 * data stay in the mapping and are handed out as zero-copy {@link Tensor}s. Close to unmap.
 */
public final class GgufFile implements AutoCloseable {

    /** A tensor's entry in the header. {@code shape} is row-major (outermost first). */
    public record TensorInfo(String name, DType dtype, long[] shape, long offset, long byteSize) {
        public TensorInfo {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** Number of elements (the reader has checked that it fits in a long). */
        public long elementCount() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    public static final int DEFAULT_ALIGNMENT = 32;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> tensorsByName;
    private final long headerEnd;
    private final long dataStart;
    private final int alignment;

    private GgufFile(Path path, Arena arena, MemorySegment file, GgufHeaderParser.Header header) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.version = header.version();
        this.metadata = Collections.unmodifiableMap(header.metadata());
        this.tensors = List.copyOf(header.tensors());
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo t : tensors) {
            byName.put(t.name(), t);
        }
        this.tensorsByName = Collections.unmodifiableMap(byName);
        this.headerEnd = header.headerEnd();
        this.dataStart = header.dataStart();
        this.alignment = header.alignment();
    }

    /**
     * Maps and parses {@code path}; throws {@link ModelFormatException} (naming the file, the field
     * and its byte offset) for a malformed file. Files of any size are mapped whole, zero-copy.
     */
    public static GgufFile open(Path path) throws IOException {
        return MappedFiles.open(path, (arena, seg) -> new GgufFile(path, arena, seg,
                new GgufHeaderParser(path, seg).parse()));
    }

    /**
     * Parses a GGUF image already in memory; {@code label} names it in error messages. The
     * segment must stay alive as long as the result is used; closing the result does nothing.
     */
    static GgufFile parse(Path label, MemorySegment image) throws ModelFormatException {
        GgufHeaderParser.Header header = new GgufHeaderParser(label, image).parse();
        return new GgufFile(label, null, image, header);
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** Byte offset just after the last tensor info, before the padding that aligns the data. */
    long headerEnd() {
        return headerEnd;
    }

    /** Byte offset in the file where tensor data begin (the header end rounded up to the alignment). */
    public long dataStart() {
        return dataStart;
    }

    /** All metadata in file order. */
    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    public List<TensorInfo> tensorInfos() {
        return tensors;
    }

    public TensorInfo tensorInfo(String name) {
        return tensorsByName.get(name);
    }

    /** The tensor called {@code name}, its data a slice of the mapping (no copy), or null. */
    public Tensor tensor(String name) {
        TensorInfo info = tensorsByName.get(name);
        return info == null ? null : tensor(info);
    }

    public Tensor tensor(TensorInfo info) {
        MemorySegment data = file.asSlice(dataStart + info.offset(), info.byteSize());
        return new Tensor(info.name(), info.dtype(), info.shape(), data);
    }

    /** The whole mapped file. */
    public MemorySegment segment() {
        return file;
    }

    public String getString(String key, String fallback) {
        GgufValue v = metadata.get(key);
        return v != null && v.type() == GgufType.STRING ? v.asString() : fallback;
    }

    public long getLong(String key, long fallback) {
        GgufValue v = metadata.get(key);
        if (v == null || v.type() == GgufType.STRING || v.type() == GgufType.ARRAY
                || v.type() == GgufType.BOOL) {
            return fallback;
        }
        return v.type() == GgufType.FLOAT32 || v.type() == GgufType.FLOAT64
                ? (long) v.asDouble() : v.asLong();
    }

    public double getDouble(String key, double fallback) {
        GgufValue v = metadata.get(key);
        return v != null && v.value() instanceof Number n ? n.doubleValue() : fallback;
    }

    public boolean getBool(String key, boolean fallback) {
        GgufValue v = metadata.get(key);
        return v != null && v.value() instanceof Boolean b ? b : fallback;
    }

    /** The elements of an array value, or an empty list when absent. */
    public List<Object> getArray(String key) {
        GgufValue v = metadata.get(key);
        return v != null && v.type() == GgufType.ARRAY ? v.asArray().elements() : List.of();
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}

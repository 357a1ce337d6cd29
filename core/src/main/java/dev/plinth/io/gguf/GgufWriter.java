package dev.plinth.io.gguf;

import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes GGUF files (version 3 by default, 2 on request) the way llama.cpp's {@code gguf_write_to_file}
 * lays them out: header, metadata in insertion order with their exact types, tensor infos with
 * offsets assigned in order (each tensor's data padded to the alignment), zero padding up to the
 * aligned data section, then each tensor's data followed by zero padding to the alignment.
 * {@code general.alignment} (UINT32, a power of two) is honoured; the default is 32.
 *
 * <p>Inputs are validated when added ({@link IllegalArgumentException} with the reason). Tensor data
 * are copied from their {@link MemorySegment}s (heap, native or mapped) in 1 MiB chunks, so a file
 * larger than memory can be written from mapped tensors. The write is atomic: a temporary file in
 * the target's directory is written, forced to disk and renamed over the target.
 *
 * <pre>{@code
 * new GgufWriter()
 *     .put("general.architecture", GgufValue.of("llama"))
 *     .add(Tensor.ofFloats("output_norm.weight", weights, 64))
 *     .write(path);
 * GgufWriter.copyOf(ggufFile).write(copy); // byte-identical to the file read
 * }</pre>
 */
public final class GgufWriter {

    private static final int CHUNK = 1 << 20;

    private int version = 3;
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();
    private boolean padEmptyDataSection = true;

    /** An empty GGUF v3 file: no metadata, no tensors. */
    public GgufWriter() {
    }

    /**
     * A writer holding everything {@code source} holds (version, metadata, tensors in file order,
     * whose data stay in the source's mapping until written). Written out, a file produced by
     * llama.cpp or gguf-py comes back byte for byte. The source must stay open until written.
     */
    public static GgufWriter copyOf(GgufFile source) {
        GgufWriter w = new GgufWriter().version(source.version());
        w.putAll(source.metadata());
        for (GgufFile.TensorInfo info : source.tensorInfos()) {
            w.add(source.tensor(info));
        }
        // llama.cpp pads even an empty data section; gguf-py (vocab-only files) ends after the header
        w.padEmptyDataSection(source.segment().byteSize() > source.headerEnd());
        return w;
    }

    /** The GGUF version to write: 3 (default) or 2, which differ only in this number. */
    public GgufWriter version(int version) {
        if (version != 2 && version != 3) {
            throw new IllegalArgumentException("GGUF version must be 2 or 3, not " + version);
        }
        this.version = version;
        return this;
    }

    /**
     * Whether a file without tensors still ends with zero padding up to the alignment, as
     * llama.cpp writes it (default true); gguf-py ends such a file right after the header.
     */
    public GgufWriter padEmptyDataSection(boolean pad) {
        this.padEmptyDataSection = pad;
        return this;
    }

    /** Adds a metadata entry after those already added. */
    public GgufWriter put(String key, GgufValue value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, () -> "value of '" + key + "'");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("GGUF metadata keys must not be empty");
        }
        requireValidUtf16(key, "metadata key '" + key + "'");
        if (metadata.containsKey(key)) {
            throw new IllegalArgumentException("duplicate metadata key '" + key + "'");
        }
        if (key.equals(GgufHeaderParser.ALIGNMENT_KEY)) {
            checkAlignment(value);
        }
        checkValue(key, value.type(), value.value(), 0);
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putAll(Map<String, GgufValue> entries) {
        entries.forEach(this::put);
        return this;
    }

    /** Adds a tensor after those already added; its data are read when the file is written. */
    public GgufWriter add(Tensor tensor) {
        Objects.requireNonNull(tensor, "tensor");
        String name = Objects.requireNonNull(tensor.name(), "tensor name");
        requireValidUtf16(name, "tensor name '" + name + "'");
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes > GgufHeaderParser.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' is " + nameBytes
                    + " bytes long; GGUF allows at most " + GgufHeaderParser.MAX_NAME_BYTES);
        }
        if (tensorNames.contains(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        long expected = checkedByteSize(tensor);
        MemorySegment data = Objects.requireNonNull(tensor.data(), () -> "data of tensor '" + name + "'");
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "' " + tensor.dtype() + " "
                    + Arrays.toString(tensor.shape()) + " needs " + expected + " bytes of data but holds "
                    + data.byteSize());
        }
        tensorNames.add(name);
        tensors.add(tensor);
        return this;
    }

    /** The alignment the file will use. */
    public int alignment() {
        GgufValue a = metadata.get(GgufHeaderParser.ALIGNMENT_KEY);
        return a == null ? GgufFile.DEFAULT_ALIGNMENT : (int) a.asLong();
    }

    /** Writes the file atomically: temporary file in the same directory, fsync, rename. */
    public void write(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Path tmp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 Arena arena = Arena.ofConfined()) {
                Sink out = new Sink(ch, arena);
                writeTo(out);
                out.flush();
                ch.force(true);
            }
            makeReadable(tmp);
            try {
                Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        syncDirectory(dir);
    }

    private void writeTo(Sink out) throws IOException {
        int alignment = alignment();
        out.putInt(GgufHeaderParser.MAGIC);
        out.putInt(version);
        out.putLong(tensors.size());
        out.putLong(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            out.putString(e.getKey());
            out.putInt(e.getValue().type().id());
            putValue(out, e.getValue().type(), e.getValue().value());
        }
        long offset = 0;
        for (Tensor t : tensors) {
            out.putString(t.name());
            long[] shape = t.shape();
            out.putInt(shape.length);
            for (int d = shape.length - 1; d >= 0; d--) {
                out.putLong(shape[d]); // GGUF lists the fastest-varying dimension first
            }
            out.putInt(t.dtype().ggmlId());
            out.putLong(offset);
            offset += GgufHeaderParser.alignUp(t.byteSize(), alignment);
        }
        if (!tensors.isEmpty() || padEmptyDataSection) {
            out.padTo(alignment);
        }
        for (Tensor t : tensors) {
            out.putSegment(t.data());
            out.padTo(alignment);
        }
    }

    private static void putValue(Sink out, GgufType type, Object v) throws IOException {
        switch (type) {
            case UINT8, INT8 -> out.putByte(((Integer) v).byteValue());
            case UINT16, INT16 -> out.putShort(((Integer) v).shortValue());
            case UINT32 -> out.putInt(((Long) v).intValue());
            case INT32 -> out.putInt((Integer) v);
            case FLOAT32 -> out.putInt(Float.floatToRawIntBits((Float) v));
            case BOOL -> out.putByte((byte) ((Boolean) v ? 1 : 0));
            case STRING -> out.putString((String) v);
            case UINT64, INT64 -> out.putLong((Long) v);
            case FLOAT64 -> out.putLong(Double.doubleToRawLongBits((Double) v));
            case ARRAY -> {
                GgufValue.GgufArray a = (GgufValue.GgufArray) v;
                out.putInt(a.elementType().id());
                out.putLong(a.elements().size());
                if (a.elements() instanceof PackedList p) {
                    out.putBytes(p.rawBytes());
                } else {
                    for (Object e : a.elements()) {
                        putValue(out, a.elementType(), e);
                    }
                }
            }
        }
    }

    private static void checkAlignment(GgufValue value) {
        if (value.type() != GgufType.UINT32) {
            throw new IllegalArgumentException("general.alignment must be a UINT32 (llama.cpp rejects other types), not "
                    + value.type());
        }
        long a = value.asLong();
        if (a == 0 || (a & (a - 1)) != 0 || a > 1L << 30) {
            throw new IllegalArgumentException("general.alignment must be a power of two up to 2^30, not " + a);
        }
    }

    private static void checkValue(String key, GgufType type, Object v, int depth) {
        if (type == GgufType.STRING) {
            requireValidUtf16((String) v, "string value of '" + key + "'");
        } else if (type == GgufType.ARRAY) {
            if (depth >= GgufHeaderParser.MAX_ARRAY_NESTING) {
                throw new IllegalArgumentException("arrays in '" + key + "' nest deeper than "
                        + GgufHeaderParser.MAX_ARRAY_NESTING + " levels, which GGUF readers reject");
            }
            GgufValue.GgufArray a = (GgufValue.GgufArray) v;
            if (a.elementType() == GgufType.STRING || a.elementType() == GgufType.ARRAY) {
                for (Object e : a.elements()) {
                    checkValue(key, a.elementType(), e, depth + 1);
                }
            }
        }
    }

    /** Tensor byte size, checking rank, dimensions, overflow and whole blocks per row. */
    private static long checkedByteSize(Tensor t) {
        long[] shape = t.shape();
        DType dtype = Objects.requireNonNull(t.dtype(), () -> "dtype of tensor '" + t.name() + "'");
        if (shape.length > GgufHeaderParser.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' has " + shape.length
                    + " dimensions; GGUF allows at most " + GgufHeaderParser.MAX_DIMS);
        }
        long elements = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + t.name() + "' has a negative dimension: "
                        + Arrays.toString(shape));
            }
            try {
                elements = Math.multiplyExact(elements, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor '" + t.name() + "' shape " + Arrays.toString(shape)
                        + " has more than 2^63 elements");
            }
        }
        long row = shape.length == 0 ? 1 : shape[shape.length - 1];
        if (row % dtype.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' rows of " + row + " elements are not a whole number of "
                    + dtype + " blocks of " + dtype.blockSize() + " (shape " + Arrays.toString(shape) + ")");
        }
        long bytes = dtype.byteSize(elements);
        if (bytes < 0) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' shape " + Arrays.toString(shape)
                    + " is too large for " + dtype);
        }
        return bytes;
    }

    /** Rejects unpaired surrogates, which have no UTF-8 encoding. */
    private static void requireValidUtf16(String s, String what) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " holds an unpaired surrogate at index " + i
                        + " and cannot be encoded as UTF-8");
            }
        }
    }

    private static void makeReadable(Path p) {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: keep what createTempFile gave
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // some platforms cannot open or force a directory; the rename itself is done
        }
    }

    /** A little-endian output staged through one off-heap buffer, so nothing large is ever held. */
    private static final class Sink {
        private final FileChannel ch;
        private final MemorySegment buf;
        private final ByteBuffer bb;
        private int fill;
        private long written;

        Sink(FileChannel ch, Arena arena) {
            this.ch = ch;
            this.buf = arena.allocate(CHUNK, 64);
            this.bb = buf.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        }

        void putByte(byte v) throws IOException {
            room(1);
            buf.set(ValueLayout.JAVA_BYTE, fill, v);
            fill += 1;
        }

        void putShort(short v) throws IOException {
            room(2);
            bb.putShort(fill, v);
            fill += 2;
        }

        void putInt(int v) throws IOException {
            room(4);
            bb.putInt(fill, v);
            fill += 4;
        }

        void putLong(long v) throws IOException {
            room(8);
            bb.putLong(fill, v);
            fill += 8;
        }

        void putString(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            putLong(b.length);
            putBytes(b);
        }

        void putBytes(byte[] b) throws IOException {
            putSegment(MemorySegment.ofArray(b));
        }

        void putSegment(MemorySegment src) throws IOException {
            long n = src.byteSize();
            long at = 0;
            while (at < n) {
                if (fill == CHUNK) {
                    flush();
                }
                int step = (int) Math.min(n - at, CHUNK - fill);
                MemorySegment.copy(src, at, buf, fill, step);
                fill += step;
                at += step;
            }
        }

        void padTo(int alignment) throws IOException {
            long pad = GgufHeaderParser.alignUp(position(), alignment) - position();
            while (pad > 0) {
                if (fill == CHUNK) {
                    flush();
                }
                int step = (int) Math.min(pad, CHUNK - fill);
                buf.asSlice(fill, step).fill((byte) 0);
                fill += step;
                pad -= step;
            }
        }

        long position() {
            return written + fill;
        }

        private void room(int bytes) throws IOException {
            if (CHUNK - fill < bytes) {
                flush();
            }
        }

        void flush() throws IOException {
            bb.clear().limit(fill);
            while (bb.hasRemaining()) {
                ch.write(bb);
            }
            written += fill;
            fill = 0;
            bb.clear();
        }
    }

    /** The metadata added so far, in order (read-only). */
    public Map<String, GgufValue> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /** The tensors added so far, in order (read-only). */
    public List<Tensor> tensors() {
        return Collections.unmodifiableList(tensors);
    }
}

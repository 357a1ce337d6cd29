package dev.plinth.io.llama2c;

import dev.plinth.io.MappedFiles;
import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A llama2.c checkpoint ({@code .bin}, the legacy "version 0" export of Karpathy's llama2.c),
 * memory-mapped: a header of seven little-endian int32 (dim, hidden_dim, n_layers, n_heads,
 * n_kv_heads, vocab_size, seq_len) followed by float32 weights. Tensors are zero-copy slices named
 * like llama.cpp's GGUF tensors ({@code token_embd.weight}, {@code blk.0.attn_q.weight}, ...,
 * {@code output.weight} only when the classifier is not shared), row-major. The two legacy RoPE
 * tables are not model tensors; {@link #legacyTensor} returns them for a faithful rewrite.
 */
public final class Llama2cCheckpoint implements AutoCloseable {

    public static final String FREQ_CIS_REAL = "freq_cis_real";
    public static final String FREQ_CIS_IMAG = "freq_cis_imag";

    /** Sanity limits far above any llama2.c model, so that a hostile header cannot make us allocate much. */
    static final int MAX_LAYERS = 4096;

    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** First int of llama2.c's newer "ak42" export formats, which this reader does not handle. */
    private static final int AK42_MAGIC = 0x616b3432;
    private static final String[] FIELDS = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};

    /** A tensor's place in the file; {@code shape} is row-major. */
    public record TensorInfo(String name, long[] shape, long offset, long byteSize) {
        public TensorInfo {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public DType dtype() {
            return DType.F32;
        }

        public long elementCount() {
            return byteSize / Float.BYTES;
        }
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final Llama2cConfig config;
    private final List<TensorInfo> infos;
    private final Map<String, TensorInfo> byName;
    private final Map<String, TensorInfo> legacy;

    private Llama2cCheckpoint(Path path, Arena arena, MemorySegment file, Llama2cConfig config) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.config = config;
        List<TensorInfo> list = new ArrayList<>();
        Map<String, TensorInfo> map = new LinkedHashMap<>();
        Map<String, TensorInfo> old = new LinkedHashMap<>();
        for (Llama2cLayout.Slot s : Llama2cLayout.slots(config)) {
            TensorInfo info = new TensorInfo(s.name(), s.shape(), s.offset(), s.byteSize());
            if (s.legacy()) {
                old.put(s.name(), info);
            } else {
                list.add(info);
                map.put(s.name(), info);
            }
        }
        this.infos = List.copyOf(list);
        this.byName = Collections.unmodifiableMap(map);
        this.legacy = Collections.unmodifiableMap(old);
    }

    /** Maps {@code path} and checks its header against its size. */
    public static Llama2cCheckpoint open(Path path) throws IOException {
        return MappedFiles.open(path, (arena, seg) -> of(path, arena, seg));
    }

    /** A checkpoint already in memory (tests); {@code arena} may be null for a heap segment. */
    static Llama2cCheckpoint of(Path path, Arena arena, MemorySegment bytes) throws IOException {
        return new Llama2cCheckpoint(path, arena, bytes, readConfig(path, bytes));
    }

    /**
     * Reads and validates the header of a checkpoint held in {@code file}: every field in range,
     * heads dividing the width, and the file exactly as long as the header implies.
     */
    public static Llama2cConfig readConfig(Path path, MemorySegment file) throws ModelFormatException {
        long size = file.byteSize();
        if (size < Llama2cLayout.HEADER_BYTES) {
            throw new ModelFormatException(path, "header", 0, "file is " + size + " bytes, shorter than the "
                    + Llama2cLayout.HEADER_BYTES + "-byte llama2.c header");
        }
        int[] h = new int[7];
        for (int i = 0; i < 7; i++) {
            h[i] = file.get(INT_LE, 4L * i);
        }
        if (h[0] == AK42_MAGIC) {
            throw new ModelFormatException(path, "magic", 0, "llama2.c \"ak42\" (version 1/2) exports are not "
                    + "supported; export with the legacy version 0 format");
        }
        for (int i = 0; i < 7; i++) {
            boolean ok = i == 5 ? h[i] != 0 && h[i] != Integer.MIN_VALUE : h[i] > 0;
            if (!ok) {
                throw field(path, i, "is " + h[i] + "; must be " + (i == 5 ? "non-zero" : "positive")
                        + " (not a llama2.c checkpoint?)");
            }
        }
        if (h[2] > MAX_LAYERS) {
            throw field(path, 2, "is " + h[2] + " (at most " + MAX_LAYERS + ")");
        }
        if (h[3] > h[0] || h[0] % h[3] != 0) {
            throw field(path, 3, "n_heads " + h[3] + " does not divide dim " + h[0]);
        }
        if (h[4] > h[3] || h[3] % h[4] != 0) {
            throw field(path, 4, "n_kv_heads " + h[4] + " does not divide n_heads " + h[3]);
        }
        Llama2cConfig c = new Llama2cConfig(h[0], h[1], h[2], h[3], h[4], Math.abs(h[5]), h[6], h[5] > 0);
        long expected;
        try {
            expected = Llama2cLayout.fileSize(c);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(path, "header", 0, "weights for " + c + " would exceed 2^63 bytes");
        }
        if (expected != size) {
            throw new ModelFormatException(path, "file size", Math.min(size, expected), "header " + c + " implies "
                    + expected + " bytes but the file has " + size + (size < expected ? " (truncated?)" : ""));
        }
        return c;
    }

    private static ModelFormatException field(Path path, int i, String problem) {
        return new ModelFormatException(path, FIELDS[i], 4L * i, FIELDS[i] + " " + problem);
    }

    public Path path() {
        return path;
    }

    public Llama2cConfig config() {
        return config;
    }

    /** The model tensors in file order (legacy RoPE tables excluded). */
    public List<TensorInfo> tensorInfos() {
        return infos;
    }

    public TensorInfo tensorInfo(String name) {
        return byName.get(name);
    }

    /** The tensor called {@code name}, a slice of the mapping, or null. */
    public Tensor tensor(String name) {
        TensorInfo info = byName.get(name);
        return info == null ? null : slice(info);
    }

    /** All model tensors in file order, zero-copy. */
    public List<Tensor> tensors() {
        return infos.stream().map(this::slice).toList();
    }

    /** {@link #FREQ_CIS_REAL} or {@link #FREQ_CIS_IMAG}, shape [seq_len, head_size/2], or null. */
    public Tensor legacyTensor(String name) {
        TensorInfo info = legacy.get(name);
        return info == null ? null : slice(info);
    }

    /** The whole mapped file. */
    public MemorySegment segment() {
        return file;
    }

    private Tensor slice(TensorInfo info) {
        return new Tensor(info.name(), DType.F32, info.shape(), file.asSlice(info.offset(), info.byteSize()));
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}

package dev.plinth.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.BiConsumer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Plinth against ggml's own code in llama.cpp's {@code libggml-base.so}: quantized bytes equal to
 * {@code quantize_row_<t>_ref} and to {@code ggml_quantize_chunk} without an importance matrix, and
 * dequantized floats bit-identical to {@code dequantize_row_<t>}, both on quantized data and on
 * random bytes. Skipped, with the reason printed, when the library is not installed.
 */
class GgmlQuantizationConformanceTest {

    /** Types ggml_quantize_chunk accepts (it aborts the process on the others). */
    private static final Set<DType> CHUNK_TYPES = EnumSet.of(DType.F16, DType.BF16, DType.Q4_0, DType.Q4_1,
            DType.Q5_0, DType.Q5_1, DType.Q8_0, DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K);

    private static final int ROWS = 6;
    private static final int ROW_LENGTH = 1024;
    private static final int SEEDS = 3;

    private static GgmlReference ggml;

    @BeforeAll
    static void load() {
        ggml = new GgmlReference();
    }

    record Distribution(String name, BiConsumer<Random, float[]> fill) {
    }

    static List<Distribution> distributions() {
        return List.of(
                new Distribution("normal", (r, x) -> fill(x, () -> (float) r.nextGaussian())),
                new Distribution("uniform", (r, x) -> fill(x, () -> r.nextFloat() * 2 - 1)),
                new Distribution("positive", (r, x) -> fill(x, () -> r.nextFloat() * 3 + 0.25f)),
                new Distribution("negative", (r, x) -> fill(x, () -> -r.nextFloat() * 0.01f - 0.5f)),
                new Distribution("heavy-tail", (r, x) -> fill(x, () -> {
                    // Student-t with 2 degrees of freedom: normal over sqrt(chi2/2)
                    double g1 = r.nextGaussian();
                    double g2 = r.nextGaussian();
                    return (float) (r.nextGaussian() / Math.sqrt((g1 * g1 + g2 * g2) / 2));
                })),
                new Distribution("outliers", (r, x) -> fill(x, () -> (float) (r.nextGaussian()
                        * (r.nextInt(50) == 0 ? 200 : 1)))),
                new Distribution("zeros", (r, x) -> fill(x, () -> 0f)),
                new Distribution("constant", (r, x) -> {
                    float c = (float) r.nextGaussian() * 3;
                    fill(x, () -> c);
                }),
                new Distribution("tiny", (r, x) -> fill(x, () -> (float) r.nextGaussian() * 1e-20f)),
                new Distribution("subnormal", (r, x) -> fill(x, () -> (float) r.nextGaussian() * 1e-39f)),
                new Distribution("alternating-signs", (r, x) -> {
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (i % 2 == 0 ? 1 : -1) * (0.5f + r.nextFloat());
                    }
                }),
                new Distribution("sparse", (r, x) -> fill(x, () -> r.nextInt(8) == 0 ? (float) r.nextGaussian() : 0f)),
                new Distribution("one-huge", (r, x) -> {
                    fill(x, () -> (float) r.nextGaussian());
                    x[r.nextInt(x.length)] = (r.nextBoolean() ? 1 : -1) * 3.0e4f;
                }),
                new Distribution("large-scale", (r, x) -> fill(x, () -> (float) r.nextGaussian() * 1000f)),
                new Distribution("small-integers", (r, x) -> fill(x, () -> r.nextInt(9) - 4)),
                new Distribution("half-steps", (r, x) -> {
                    // block maximum 127 makes Q8's scale exactly 1, so that x.5 values are rounding ties
                    fill(x, () -> (r.nextInt(509) - 254) * 0.5f);
                    for (int i = 0; i < x.length; i += 32) {
                        x[i] = r.nextBoolean() ? 127f : -127f;
                    }
                }));
    }

    private interface FloatSource {
        float next();
    }

    private static void fill(float[] x, FloatSource s) {
        for (int i = 0; i < x.length; i++) {
            x[i] = s.next();
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K",
            "Q5_K", "Q6_K", "Q8_K"})
    void quantizeAndDequantizeMatchGgml(DType type) {
        int n = ROWS * ROW_LENGTH;
        int bytes = (int) type.byteSize(n);
        long blocksCompared = 0;
        long chunkBlocks = 0;
        long dequantBlocks = 0;
        boolean dequant = ggml.hasDequantizeRow(type) || type == DType.F16 || type == DType.BF16;
        int seed = 0;
        for (Distribution dist : distributions()) {
            for (int s = 0; s < SEEDS; s++, seed++) {
                Random r = new Random(0x5EED0000L + seed * 7919L + type.ordinal());
                float[] x = new float[n];
                dist.fill().accept(r, x);
                String what = type + " on " + dist.name() + " seed " + s;
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment src = GgmlReference.copyOf(arena, x);
                    MemorySegment expected = arena.allocate(bytes, 64);
                    quantizeRowRef(type, src, expected, n);

                    MemorySegment actual = MemorySegment.ofArray(new byte[bytes]);
                    Quantization.quantize(type, x, 0, n, actual, 0);
                    assertSameBytes(type, expected, actual, what + " vs quantize_row_ref");
                    blocksCompared += n / type.blockSize();

                    if (CHUNK_TYPES.contains(type)) {
                        MemorySegment chunk = arena.allocate(bytes, 64);
                        long written = ggml.quantizeChunk(type, src, chunk, ROWS, ROW_LENGTH);
                        assertEquals(bytes, written, what + ": ggml_quantize_chunk size");
                        assertSameBytes(type, chunk, actual, what + " vs ggml_quantize_chunk");
                        chunkBlocks += n / type.blockSize();
                    }
                    if (dequant) {
                        assertSameDequantization(type, arena, expected, n, what);
                        dequantBlocks += n / type.blockSize();
                    }
                }
            }
        }
        System.out.printf("ggml conformance %-5s: %d blocks == quantize_row_ref, %d blocks == ggml_quantize_chunk, "
                + "%d blocks dequantized bit-identically%s%n", type, blocksCompared, chunkBlocks, dequantBlocks,
                dequant ? "" : " (ggml has no dequantize_row_" + GgmlReference.ggmlName(type) + ")");
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    void dequantizeRandomBytesMatchesGgml(DType type) {
        int blocks = 4096 / type.blockSize() * 16;
        int n = blocks * type.blockSize();
        Random r = new Random(0xB10CL + type.ordinal());
        byte[] raw = new byte[(int) type.byteSize(n)];
        r.nextBytes(raw);
        for (int b = 0; b < blocks; b++) {
            finiteScales(type, raw, b * type.blockBytes(), r);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment q = arena.allocate(raw.length, 64);
            MemorySegment.copy(raw, 0, q, ValueLayout.JAVA_BYTE, 0, raw.length);
            // repeated so that the JIT-compiled (vectorized) decoders are compared too, not only the interpreter
            for (int rep = 0; rep < 20; rep++) {
                assertSameDequantization(type, arena, q, n, type + " on random bytes, pass " + rep);
            }
        }
        System.out.printf("ggml conformance %-5s: %d random-byte blocks dequantized bit-identically%n", type, blocks);
    }

    /** Overwrites the float scale fields of a random block with random finite values. */
    private static void finiteScales(DType type, byte[] raw, int at, Random r) {
        int[] halves = switch (type) {
            case Q4_0, Q5_0, Q8_0 -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            default -> new int[0];
        };
        for (int h : halves) {
            int bits = r.nextInt(1 << 16);
            if ((bits & 0x7C00) == 0x7C00) {
                bits &= ~0x4000;
            }
            raw[at + h] = (byte) bits;
            raw[at + h + 1] = (byte) (bits >> 8);
        }
        if (type == DType.Q8_K) {
            int bits = Float.floatToRawIntBits((float) (r.nextGaussian() * Math.pow(2, r.nextInt(40) - 30)));
            for (int k = 0; k < 4; k++) {
                raw[at + k] = (byte) (bits >>> (8 * k));
            }
        }
    }

    private static void quantizeRowRef(DType type, MemorySegment src, MemorySegment dst, long n) {
        switch (type) {
            case F16 -> ggml.row("ggml_fp32_to_fp16_row", src, dst, n);
            case BF16 -> ggml.row("ggml_fp32_to_bf16_row_ref", src, dst, n);
            default -> ggml.quantizeRowRef(type, src, dst, n);
        }
    }

    private static void assertSameDequantization(DType type, Arena arena, MemorySegment q, int n, String what) {
        MemorySegment ref = arena.allocate(4L * n, 64);
        switch (type) {
            case F16 -> ggml.row("ggml_fp16_to_fp32_row", q, ref, n);
            case BF16 -> ggml.row("ggml_bf16_to_fp32_row", q, ref, n);
            default -> ggml.dequantizeRow(type, q, ref, n);
        }
        float[] mine = new float[n + 3];
        Arrays.fill(mine, Float.NaN);
        Quantization.dequantize(type, q, 0, mine, 3, n);
        for (int i = 0; i < n; i++) {
            int expected = ref.getAtIndex(ValueLayout.JAVA_INT, i);
            int actual = Float.floatToRawIntBits(mine[3 + i]);
            if (expected != actual) {
                int block = i / type.blockSize();
                long at = (long) block * type.blockBytes();
                fail(String.format("%s: dequantized element %d (block %d) is %s (0x%08x), ggml gives %s (0x%08x); "
                        + "block bytes %s", what, i, block, mine[3 + i], actual, Float.intBitsToFloat(expected),
                        expected, hex(q, at, type.blockBytes())));
            }
        }
    }

    private static void assertSameBytes(DType type, MemorySegment expected, MemorySegment actual, String what) {
        long mismatch = expected.mismatch(actual);
        if (mismatch >= 0) {
            long block = mismatch / type.blockBytes();
            long at = block * type.blockBytes();
            fail(String.format("%s: first differing byte %d (block %d, byte %d of it)%n ggml:   %s%n plinth: %s",
                    what, mismatch, block, mismatch - at, hex(expected, at, type.blockBytes()),
                    hex(actual, at, type.blockBytes())));
        }
    }

    private static String hex(MemorySegment s, long at, int n) {
        return HexFormat.of().formatHex(s.asSlice(at, n).toArray(ValueLayout.JAVA_BYTE));
    }
}

package dev.plinth.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * F16 and BF16 conversions against ggml's {@code ggml_fp16_to_fp32_row}, {@code ggml_fp32_to_fp16_row},
 * {@code ggml_bf16_to_fp32_row} and {@code ggml_fp32_to_bf16_row}: every one of the 65536 halves
 * widened, and narrowing of a spread of floats that covers every exponent, exact ties, overflow,
 * subnormals, infinities and NaNs (signalling and quiet, both signs). Both the bulk (Vector API)
 * and the scalar conversions are compared, bit for bit.
 */
class GgmlHalfFloatConformanceTest {
    private static GgmlReference ggml;

    @BeforeAll
    static void load() {
        ggml = new GgmlReference();
    }

    @Test
    void widensEveryF16LikeGgml() {
        widenEveryHalf("ggml_fp16_to_fp32_row", DType.F16);
    }

    @Test
    void widensEveryBf16LikeGgml() {
        widenEveryHalf("ggml_bf16_to_fp32_row", DType.BF16);
    }

    @Test
    void narrowsToF16LikeGgml() {
        float[] x = narrowingInputs(false);
        narrow("ggml_fp32_to_fp16_row", DType.F16, x);
    }

    @Test
    void narrowsToBf16LikeGgml() {
        float[] x = narrowingInputs(true);
        narrow("ggml_fp32_to_bf16_row", DType.BF16, x);
    }

    private static void widenEveryHalf(String function, DType type) {
        int n = 1 << 16;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment halves = arena.allocate(2L * n, 64);
            for (int h = 0; h < n; h++) {
                halves.setAtIndex(ValueLayout.JAVA_SHORT, h, (short) h);
            }
            MemorySegment ref = arena.allocate(4L * n, 64);
            ggml.row(function, halves, ref, n);
            // odd offsets and a length that is no multiple of the vector width exercise the tails
            float[] bulk = new float[n + 1];
            Quantization.dequantize(type, halves, 2, bulk, 1, n - 1);
            for (int h = 0; h < n; h++) {
                int expected = ref.getAtIndex(ValueLayout.JAVA_INT, h);
                float scalar = type == DType.F16 ? HalfFloat.f16ToF32((short) h) : HalfFloat.bf16ToF32((short) h);
                check(expected, Float.floatToRawIntBits(scalar), "scalar " + type + " 0x" + Integer.toHexString(h));
                if (h >= 1) {
                    check(expected, Float.floatToRawIntBits(bulk[h]), "bulk " + type + " 0x" + Integer.toHexString(h));
                }
            }
        }
        System.out.printf("ggml conformance %s -> F32: all %d bit patterns identical (scalar and bulk)%n", type, n);
    }

    private static void narrow(String function, DType type, float[] x) {
        int n = x.length;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(4L * n, 64);
            for (int i = 0; i < n; i++) {
                // raw bits, so that signalling NaNs reach ggml unchanged
                src.setAtIndex(ValueLayout.JAVA_INT, i, Float.floatToRawIntBits(x[i]));
            }
            MemorySegment ref = arena.allocate(2L * n, 64);
            ggml.row(function, src, ref, n);
            MemorySegment bulk = MemorySegment.ofArray(new short[n + 1]);
            // repeated so that the JIT-compiled loops (packed conversion instructions) run too
            for (int rep = 0; rep < 3; rep++) {
                Quantization.quantize(type, x, 1, n - 1, bulk, 2);
            }
            for (int i = 0; i < n; i++) {
                short expected = ref.getAtIndex(ValueLayout.JAVA_SHORT, i);
                short scalar = type == DType.F16 ? HalfFloat.f32ToF16(x[i]) : HalfFloat.f32ToBf16(x[i]);
                String what = type + " of 0x" + Integer.toHexString(Float.floatToRawIntBits(x[i]));
                check(expected, scalar, "scalar " + what);
                if (i >= 1) {
                    check(expected, bulk.getAtIndex(ValueLayout.JAVA_SHORT, i), "bulk " + what);
                }
            }
        }
        System.out.printf("ggml conformance F32 -> %s: %d floats narrowed identically (scalar and bulk)%n", type, n);
    }

    /**
     * Every 4096th float bit pattern (with random low bits), both exact ties of the target format
     * around every one of its values, and special values.
     */
    private static float[] narrowingInputs(boolean bf16) {
        Random r = new Random(bf16 ? 0xBF16 : 0xF16);
        int spread = 1 << 20;
        int ties = 2 * (1 << 16);
        int[] specials = {0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001, 0x7FBFFFFF,
                0x7FA00000, 0x7FFFFFFF, 0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF,
                Float.floatToRawIntBits(65504f), Float.floatToRawIntBits(65519.99f), Float.floatToRawIntBits(65520f),
                Float.floatToRawIntBits(-65520f), Float.floatToRawIntBits(0x1p-24f), Float.floatToRawIntBits(0x1p-25f),
                Float.floatToRawIntBits(0x1.8p-25f), Float.floatToRawIntBits(0x1p-26f), 0x7F7FFFFF, 0xFF7FFFFF};
        float[] x = new float[spread + ties + specials.length];
        int k = 0;
        for (int i = 0; i < spread; i++) {
            x[k++] = Float.intBitsToFloat((i << 12) | r.nextInt(1 << 12));
        }
        for (int h = 0; h < (1 << 16); h++) {
            int bits;
            int tie;
            if (bf16) {
                bits = h << 16;
                tie = 0x8000;
            } else {
                bits = Float.floatToRawIntBits(Float.float16ToFloat((short) h)) ;
                // half an f16 ulp: 13 dropped bits for normals (subnormal ties are covered by the spread)
                tie = 1 << 12;
            }
            x[k++] = Float.intBitsToFloat(bits + tie);
            x[k++] = Float.intBitsToFloat(bits - tie);
        }
        for (int s : specials) {
            x[k++] = Float.intBitsToFloat(s);
        }
        assertEquals(x.length, k);
        return x;
    }

    private static void check(int expected, int actual, String what) {
        if (expected != actual) {
            fail(String.format("%s: got 0x%08x, ggml gives 0x%08x", what, actual, expected));
        }
    }

    private static void check(short expected, short actual, String what) {
        if (expected != actual) {
            fail(String.format("%s: got 0x%04x, ggml gives 0x%04x", what, actual & 0xFFFF, expected & 0xFFFF));
        }
    }
}

package dev.plinth.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Independent checks of {@link Quantization}: error bounds, layouts built by hand, sizes and misuse. */
class QuantizationTest {

    /** Upper bounds of relative RMS error (RMSE / RMS) for a round trip of standard normal data. */
    private static final Map<DType, Double> MAX_RELATIVE_RMSE = Map.ofEntries(
            Map.entry(DType.F32, 0.0), Map.entry(DType.F16, 3e-4), Map.entry(DType.BF16, 2.3e-3),
            Map.entry(DType.Q8_0, 0.006), Map.entry(DType.Q8_1, 0.006), Map.entry(DType.Q8_K, 0.008),
            Map.entry(DType.Q6_K, 0.02), Map.entry(DType.Q5_0, 0.05), Map.entry(DType.Q5_1, 0.045),
            Map.entry(DType.Q5_K, 0.04), Map.entry(DType.Q4_0, 0.1), Map.entry(DType.Q4_1, 0.09),
            Map.entry(DType.Q4_K, 0.08), Map.entry(DType.Q3_K, 0.17), Map.entry(DType.Q2_K, 0.33));

    private static final String ALL = "F32|F16|BF16|Q4_0|Q4_1|Q5_0|Q5_1|Q8_0|Q8_1|Q2_K|Q3_K|Q4_K|Q5_K|Q6_K|Q8_K";

    private static float[] normal(long seed, int n) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(names = ALL, mode = EnumSource.Mode.MATCH_ANY)
    void roundTripErrorIsWithinTheFormatsPrecision(DType type) {
        int n = 64 * 256;
        float[] x = normal(42 + type.ordinal(), n);
        MemorySegment q = MemorySegment.ofArray(new byte[(int) type.byteSize(n)]);
        Quantization.quantize(type, x, 0, n, q, 0);
        float[] y = new float[n];
        Quantization.dequantize(type, q, 0, y, 0, n);
        double err = 0;
        double sig = 0;
        for (int i = 0; i < n; i++) {
            err += (x[i] - y[i]) * (double) (x[i] - y[i]);
            sig += x[i] * (double) x[i];
        }
        double rel = Math.sqrt(err / sig);
        System.out.printf("round trip %-5s: relative RMSE %.5f (%.2f bits per weight)%n", type, rel,
                8.0 * type.blockBytes() / type.blockSize());
        assertTrue(rel <= MAX_RELATIVE_RMSE.get(type), type + " relative RMSE " + rel);
        if (type != DType.F32) {
            assertTrue(rel > 0, type + " cannot be lossless on normal data");
        }
    }

    @ParameterizedTest
    @EnumSource(names = ALL, mode = EnumSource.Mode.MATCH_ANY)
    void writesExactlyItsRangeAtAnyOffset(DType type) {
        int n = 2 * type.blockSize() * (type.isQuantized() ? 1 : 16);
        int bytes = (int) type.byteSize(n);
        float[] x = normal(7, n + 5);
        byte[] out = new byte[bytes + 13];
        Arrays.fill(out, (byte) 0x5A);
        MemorySegment q = MemorySegment.ofArray(out);
        Quantization.quantize(type, x, 5, n, q, 7);
        for (int i = 0; i < 7; i++) {
            assertEquals(0x5A, out[i], "byte before the range");
        }
        for (int i = 7 + bytes; i < out.length; i++) {
            assertEquals(0x5A, out[i], "byte after the range");
        }
        float[] y = new float[n + 6];
        Arrays.fill(y, -99f);
        Quantization.dequantize(type, q, 7, y, 3, n);
        assertEquals(-99f, y[2]);
        assertEquals(-99f, y[3 + n]);
        // the same blocks quantized alone, at offset 0, decode to the same values
        MemorySegment alone = MemorySegment.ofArray(new byte[bytes]);
        Quantization.quantize(type, Arrays.copyOfRange(x, 5, 5 + n), 0, n, alone, 0);
        assertEquals(-1, alone.mismatch(q.asSlice(7, bytes)));
    }

    @ParameterizedTest
    @EnumSource(names = ALL, mode = EnumSource.Mode.MATCH_ANY)
    void nonFiniteInputsAndRandomBytesNeverThrow(DType type) {
        int n = 4 * 256;
        Random r = new Random(99);
        float[] x = normal(13, n);
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE,
            -Float.MAX_VALUE, Float.MIN_VALUE};
        for (int i = 0; i < 64; i++) {
            x[r.nextInt(n)] = specials[r.nextInt(specials.length)];
        }
        Arrays.fill(x, 0, 256, Float.MAX_VALUE);
        MemorySegment q = MemorySegment.ofArray(new byte[(int) type.byteSize(n)]);
        Quantization.quantize(type, x, 0, n, q, 0);
        float[] y = new float[n];
        Quantization.dequantize(type, q, 0, y, 0, n);
        byte[] noise = new byte[(int) q.byteSize()];
        r.nextBytes(noise);
        Quantization.dequantize(type, MemorySegment.ofArray(noise), 0, y, 0, n);
    }

    @Test
    void q8_0LayoutIsHalfScaleThen32SignedBytes() {
        byte[] block = new byte[34];
        block[0] = 0x00;
        block[1] = 0x38; // f16 0.5
        for (int j = 0; j < 32; j++) {
            block[2 + j] = (byte) (j * 9 - 128);
        }
        float[] y = new float[32];
        Quantization.dequantize(DType.Q8_0, MemorySegment.ofArray(block), 0, y, 0, 32);
        for (int j = 0; j < 32; j++) {
            assertEquals((byte) (j * 9 - 128) * 0.5f, y[j]);
        }
    }

    @Test
    void q4_0LayoutPutsLowNibblesFirst() {
        byte[] block = new byte[18];
        block[1] = 0x40; // f16 2.0
        for (int j = 0; j < 16; j++) {
            block[2 + j] = (byte) (j | (15 - j) << 4);
        }
        float[] y = new float[32];
        Quantization.dequantize(DType.Q4_0, MemorySegment.ofArray(block), 0, y, 0, 32);
        for (int j = 0; j < 16; j++) {
            assertEquals((j - 8) * 2f, y[j]);
            assertEquals((15 - j - 8) * 2f, y[16 + j]);
        }
    }

    @Test
    void q4_kLayoutHasScalesAndMinsPer32Elements() {
        byte[] block = new byte[144];
        block[1] = 0x3C; // d = 1.0
        block[3] = 0x38; // dmin = 0.5
        // sub-blocks 0..3: 6-bit scale j+1 in bytes 0..3, 6-bit min 2j in bytes 4..7
        for (int j = 0; j < 4; j++) {
            block[4 + j] = (byte) (j + 1);
            block[8 + j] = (byte) (2 * j);
        }
        // sub-blocks 4..7: low 4 bits in bytes 8..11, top 2 bits in the top of bytes 0..7; scale 33, min 17
        for (int j = 4; j < 8; j++) {
            block[4 + j + 4] = (byte) ((33 & 0xF) | (17 & 0xF) << 4);
            block[4 + j - 4] |= (byte) ((33 >> 4) << 6);
            block[4 + j] |= (byte) ((17 >> 4) << 6);
        }
        for (int i = 0; i < 128; i++) {
            block[16 + i] = (byte) ((i % 16) | (15 - i % 16) << 4);
        }
        float[] y = new float[256];
        Quantization.dequantize(DType.Q4_K, MemorySegment.ofArray(block), 0, y, 0, 256);
        for (int sub = 0; sub < 8; sub++) {
            float scale = sub < 4 ? sub + 1 : 33;
            float min = 0.5f * (sub < 4 ? 2 * sub : 17);
            for (int l = 0; l < 32; l++) {
                int byteIndex = (sub / 2) * 32 + l;
                int q = sub % 2 == 0 ? byteIndex % 16 : 15 - byteIndex % 16;
                assertEquals(scale * q - min, y[32 * sub + l], "sub-block " + sub + " element " + l);
            }
        }
    }

    @Test
    void q8_kKeepsAFloatScaleAndBlockSums() {
        float[] x = normal(3, 256);
        MemorySegment q = MemorySegment.ofArray(new byte[292]);
        Quantization.quantize(DType.Q8_K, x, 0, 256, q, 0);
        float amax = 0;
        for (float v : x) {
            amax = Math.max(amax, Math.abs(v));
        }
        float d = q.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
        assertEquals(amax / 127, Math.abs(d), amax * 1e-6f);
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int i = 0; i < 16; i++) {
                sum += q.get(ValueLayout.JAVA_BYTE, 4 + 16 * g + i);
            }
            assertEquals(sum, q.get(ValueLayout.JAVA_SHORT_UNALIGNED, 260 + 2 * g));
        }
    }

    @Test
    void halfFloatConversionsRoundToNearestEven() {
        assertEquals(0x3C00, HalfFloat.f32ToF16(1.0f));
        assertEquals(0x3C00, HalfFloat.f32ToF16(1.0f + 0x1p-11f)); // tie goes to even mantissa 0
        assertEquals(0x3C02, HalfFloat.f32ToF16(1.0f + 3 * 0x1p-11f)); // tie goes to even mantissa 2
        assertEquals(0x7BFF, HalfFloat.f32ToF16(65504f));
        assertEquals(0x7C00, HalfFloat.f32ToF16(65520f));
        assertEquals(0x7E00, HalfFloat.f32ToF16(Float.NaN));
        assertEquals(0x3F80, HalfFloat.f32ToBf16(1.0f));
        assertEquals(0x3F80, HalfFloat.f32ToBf16(Float.intBitsToFloat(0x3F808000))); // tie to even
        assertEquals(0x3F82, HalfFloat.f32ToBf16(Float.intBitsToFloat(0x3F818000))); // tie to even
        assertEquals(0x7FC1, HalfFloat.f32ToBf16(Float.intBitsToFloat(0x7F810000)) & 0xFFFF); // quieted
        assertEquals(-2.5f, HalfFloat.bf16ToF32(HalfFloat.f32ToBf16(-2.5f)));
        assertEquals(0x1p-24f, HalfFloat.f16ToF32((short) 1));
    }

    @Test
    void rejectsCountsThatAreNotWholeBlocks() {
        MemorySegment q = MemorySegment.ofArray(new byte[1024]);
        float[] x = new float[512];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Quantization.quantize(DType.Q4_K, x, 0, 255, q, 0));
        assertTrue(e.getMessage().contains("Q4_K") && e.getMessage().contains("256"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Quantization.dequantize(DType.Q8_0, q, 0, x, 0, 33));
        assertThrows(IllegalArgumentException.class, () -> Quantization.dequantize(DType.Q8_0, q, 0, x, 0, -32));
        assertThrows(IllegalArgumentException.class, () -> Quantization.quantize(DType.I32, x, 0, 32, q, 0));
        assertThrows(IllegalArgumentException.class, () -> Quantization.dequantize(DType.I8, q, 0, x, 0, 32));
    }

    @Test
    void rejectsRangesOutsideTheBuffers() {
        MemorySegment q = MemorySegment.ofArray(new byte[34 * 4]);
        float[] x = new float[128];
        assertThrows(IndexOutOfBoundsException.class, () -> Quantization.dequantize(DType.Q8_0, q, 1, x, 0, 128));
        assertThrows(IndexOutOfBoundsException.class, () -> Quantization.dequantize(DType.Q8_0, q, 0, x, 32, 128));
        assertThrows(IndexOutOfBoundsException.class, () -> Quantization.dequantize(DType.Q8_0, q, -34, x, 0, 32));
        assertThrows(IndexOutOfBoundsException.class, () -> Quantization.quantize(DType.Q8_0, x, 0, 128, q, 34));
        assertThrows(IndexOutOfBoundsException.class, () -> Quantization.quantize(DType.F16, x, 100, 32, q, 0));
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q8_0", "Q4_K", "Q6_K", "F16", "BF16"})
    void tensorsRoundTripRowByRow(DType type) {
        int rows = 37;
        int cols = 512;
        float[] values = normal(11, rows * cols);
        Tensor t = Tensor.ofFloats("w", values, 1, rows, cols);
        Tensor q = Quantization.quantize(t, type);
        assertEquals(type, q.dtype());
        assertArrayEquals(new long[] {1, rows, cols}, q.shape());
        assertEquals(type.byteSize((long) rows * cols), q.data().byteSize());
        Tensor back = Quantization.toF32(q);
        assertEquals(DType.F32, back.dtype());
        assertArrayEquals(t.shape(), back.shape());
        float[] row = new float[cols];
        MemorySegment rowBytes = MemorySegment.ofArray(new byte[(int) type.byteSize(cols)]);
        for (int r = 0; r < rows; r++) {
            Quantization.quantize(type, values, r * cols, cols, rowBytes, 0);
            assertEquals(-1, rowBytes.mismatch(q.data().asSlice(r * rowBytes.byteSize(), rowBytes.byteSize())));
            Quantization.dequantize(type, rowBytes, 0, row, 0, cols);
            for (int c = 0; c < cols; c++) {
                assertEquals(row[c], back.data().getAtIndex(ValueLayout.JAVA_FLOAT, (long) r * cols + c));
            }
        }
    }

    @Test
    void largeTensorsConvertInParallelToTheSameBytes() {
        int rows = 300;
        int cols = 1024;
        float[] values = normal(5, rows * cols);
        Tensor t = Tensor.ofFloats("big", values, rows, cols);
        Tensor q = Quantization.quantize(t, DType.Q5_K);
        MemorySegment serial = MemorySegment.ofArray(new byte[(int) DType.Q5_K.byteSize(values.length)]);
        Quantization.quantize(DType.Q5_K, values, 0, values.length, serial, 0);
        assertEquals(-1, serial.mismatch(q.data()));
        float[] expected = new float[values.length];
        Quantization.dequantize(DType.Q5_K, serial, 0, expected, 0, values.length);
        Tensor back = Quantization.toF32(q);
        float[] actual = back.data().toArray(ValueLayout.JAVA_FLOAT);
        assertArrayEquals(expected, actual);
    }

    @Test
    void tensorConversionsRejectPartialBlocksAndWrongTypes() {
        Tensor ragged = Tensor.ofFloats("ragged", new float[3 * 48], 3, 48);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Quantization.quantize(ragged, DType.Q8_0));
        assertTrue(e.getMessage().contains("ragged") && e.getMessage().contains("48"), e.getMessage());
        Tensor q8 = Quantization.quantize(Tensor.ofFloats("ok", new float[64], 2, 32), DType.Q8_0);
        assertThrows(IllegalArgumentException.class, () -> Quantization.quantize(q8, DType.Q4_0));
        Tensor truncated = new Tensor("short", DType.Q8_0, new long[] {2, 32}, MemorySegment.ofArray(new byte[40]));
        e = assertThrows(IllegalArgumentException.class, () -> Quantization.toF32(truncated));
        assertTrue(e.getMessage().contains("68"), e.getMessage());
        Tensor halfBlock = new Tensor("half", DType.Q4_K, new long[] {128}, MemorySegment.ofArray(new byte[144]));
        assertThrows(IllegalArgumentException.class, () -> Quantization.toF32(halfBlock));
    }
}

package dev.plinth.tensor;

import static dev.plinth.tensor.LittleEndian.ORDER;
import static dev.plinth.tensor.LittleEndian.SHORT;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * IEEE binary16 (F16) and bfloat16 (BF16) conversions, bit-identical with ggml's reference
 * conversions ({@code ggml_fp16_to_fp32_row}, {@code ggml_fp32_to_fp16_row},
 * {@code ggml_bf16_to_fp32_row}, {@code ggml_fp32_to_bf16_row}).
 *
 * <p>Rounding is to nearest even everywhere. NaNs: F32&rarr;F16 gives ggml's canonical quiet NaN
 * {@code 0x7E00} (with the sign kept); F16&rarr;F32 and F32&rarr;BF16 keep the payload and set the
 * quiet bit; BF16&rarr;F32 is a plain widening. Halves are stored little-endian.
 */
public final class HalfFloat {
    private HalfFloat() {
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_128;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    // Vector loads and stores go through byte species: on a heap segment backed by a byte[]
    // (the usual kind) C2 intrinsifies only those, short ones fall back to scalar code
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;

    /**
     * Whether {@link Float#float16ToFloat} quiets a signalling NaN as ggml does (payload kept, quiet
     * bit set). Where the JVM implements it with the hardware's conversion it does, in the
     * interpreter and in compiled code alike (checked on x86 over all 65536 halves); its Java
     * fallback keeps the NaN signalling, and then {@link #f16ToF32(MemorySegment, long, float[], int, int)}
     * quiets NaNs itself. Probed once, so that the common case pays no second pass.
     */
    private static final boolean CONVERSION_QUIETS_NANS =
            Float.floatToRawIntBits(Float.float16ToFloat((short) 0x7C01)) == 0x7FC02000;

    /** The float value of the F16 bit pattern {@code h}. */
    public static float f16ToF32(short h) {
        if ((h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0) {
            // NaN: Float.float16ToFloat may or may not quiet a signalling NaN; ggml always does.
            return Float.intBitsToFloat(((h & 0x8000) << 16) | 0x7FC00000 | ((h & 0x03FF) << 13));
        }
        return Float.float16ToFloat(h);
    }

    /**
     * The F16 value at {@code byteOffset} in {@code seg}, by the {@link Float#float16ToFloat}
     * intrinsic: a signalling NaN may stay signalling, which the kernels' products do not mind
     * (a codec that must quiet it as ggml does uses {@link #f16ToF32(short)}).
     */
    static float f16(MemorySegment seg, long byteOffset) {
        return Float.float16ToFloat(seg.get(SHORT, byteOffset));
    }

    /** {@link #f16(MemorySegment, long)} of every bit pattern, indexed by the pattern as an unsigned short. */
    private static final float[] F16_VALUES = new float[1 << 16];

    static {
        for (int h = 0; h < F16_VALUES.length; h++) {
            F16_VALUES[h] = Float.float16ToFloat((short) h);
        }
    }

    /**
     * {@link #f16(MemorySegment, long)} by table lookup: the same bits, with loads only, where the
     * conversion instruction would compete with a kernel's vector instructions for their ports.
     */
    static float f16Lookup(MemorySegment seg, long byteOffset) {
        return F16_VALUES[seg.get(SHORT, byteOffset) & 0xFFFF];
    }

    /** The F16 bit pattern nearest to {@code f} (ties to even; overflow gives infinity). */
    public static short f32ToF16(float f) {
        if (f != f) {
            return (short) ((Float.floatToRawIntBits(f) >>> 16 & 0x8000) | 0x7E00);
        }
        return Float.floatToFloat16(f);
    }

    /** The float value of the BF16 bit pattern {@code h}. */
    public static float bf16ToF32(short h) {
        return Float.intBitsToFloat(h << 16);
    }

    /** The BF16 bit pattern nearest to {@code f} (ties to even; NaNs made quiet). */
    public static short f32ToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + (0x7FFF + ((bits >>> 16) & 1))) >>> 16);
    }

    /** Widens {@code count} little-endian F16 values at {@code src[srcByteOffset..]} into {@code dst}. */
    public static void f16ToF32(MemorySegment src, long srcByteOffset, float[] dst, int dstOffset, int count) {
        checkRange(src, srcByteOffset, 2L * count, dst.length, dstOffset, count);
        // a plain loop over the intrinsic, which C2 turns into packed vcvtph2ps
        for (int i = 0; i < count; i++) {
            dst[dstOffset + i] = Float.float16ToFloat(src.get(SHORT, srcByteOffset + 2L * i));
        }
        if (!CONVERSION_QUIETS_NANS && hasNaN(src, srcByteOffset, count)) {
            for (int i = 0; i < count; i++) {
                dst[dstOffset + i] = f16ToF32(src.get(SHORT, srcByteOffset + 2L * i));
            }
        }
    }

    private static boolean hasNaN(MemorySegment src, long offset, int count) {
        int i = 0;
        int bound = S16.loopBound(count);
        for (; i < bound; i += S16.length()) {
            ShortVector h = ByteVector.fromMemorySegment(B256, src, offset + 2L * i, ORDER)
                    .reinterpretAsShorts();
            if (h.and((short) 0x7FFF).compare(VectorOperators.GT, (short) 0x7C00).anyTrue()) {
                return true;
            }
        }
        for (; i < count; i++) {
            if ((src.get(SHORT, offset + 2L * i) & 0x7FFF) > 0x7C00) {
                return true;
            }
        }
        return false;
    }

    /** Narrows {@code count} floats from {@code src} to little-endian F16 at {@code dst[dstByteOffset..]}. */
    public static void f32ToF16(float[] src, int srcOffset, MemorySegment dst, long dstByteOffset, int count) {
        checkRange(dst, dstByteOffset, 2L * count, src.length, srcOffset, count);
        // a plain loop over the intrinsic, which C2 turns into packed vcvtps2ph
        for (int i = 0; i < count; i++) {
            dst.set(SHORT, dstByteOffset + 2L * i, Float.floatToFloat16(src[srcOffset + i]));
        }
        // Java keeps NaN payload bits; ggml writes its canonical quiet NaN
        if (hasNaN(src, srcOffset, count)) {
            for (int i = 0; i < count; i++) {
                dst.set(SHORT, dstByteOffset + 2L * i, f32ToF16(src[srcOffset + i]));
            }
        }
    }

    private static boolean hasNaN(float[] src, int offset, int count) {
        int i = 0;
        int bound = F.loopBound(count);
        for (; i < bound; i += F.length()) {
            if (FloatVector.fromArray(F, src, offset + i).test(VectorOperators.IS_NAN).anyTrue()) {
                return true;
            }
        }
        for (; i < count; i++) {
            if (Float.isNaN(src[offset + i])) {
                return true;
            }
        }
        return false;
    }

    /** Widens {@code count} little-endian BF16 values at {@code src[srcByteOffset..]} into {@code dst}. */
    public static void bf16ToF32(MemorySegment src, long srcByteOffset, float[] dst, int dstOffset, int count) {
        checkRange(src, srcByteOffset, 2L * count, dst.length, dstOffset, count);
        int i = 0;
        int bound = S.loopBound(count);
        for (; i < bound; i += S.length()) {
            ((IntVector) ByteVector.fromMemorySegment(B128, src, srcByteOffset + 2L * i, ORDER)
                    .reinterpretAsShorts()
                    .convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats()
                    .intoArray(dst, dstOffset + i);
        }
        for (; i < count; i++) {
            dst[dstOffset + i] = bf16ToF32(src.get(SHORT, srcByteOffset + 2L * i));
        }
    }

    /** Narrows {@code count} floats from {@code src} to little-endian BF16 at {@code dst[dstByteOffset..]}. */
    public static void f32ToBf16(float[] src, int srcOffset, MemorySegment dst, long dstByteOffset, int count) {
        checkRange(dst, dstByteOffset, 2L * count, src.length, srcOffset, count);
        int i = 0;
        int bound = I.loopBound(count);
        for (; i < bound; i += I.length()) {
            IntVector bits = FloatVector.fromArray(F, src, srcOffset + i).reinterpretAsInts();
            IntVector rounded = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1).add(0x7FFF))
                    .lanewise(VectorOperators.LSHR, 16);
            VectorMask<Integer> nan = bits.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000);
            IntVector quietNan = bits.lanewise(VectorOperators.LSHR, 16).or(64);
            rounded.blend(quietNan, nan)
                    .convertShape(VectorOperators.I2S, S, 0)
                    .reinterpretAsBytes()
                    .intoMemorySegment(dst, dstByteOffset + 2L * i, ORDER);
        }
        for (; i < count; i++) {
            dst.set(SHORT, dstByteOffset + 2L * i, f32ToBf16(src[srcOffset + i]));
        }
    }

    static void checkRange(MemorySegment seg, long byteOffset, long bytes, int arrayLength, int arrayOffset, int count) {
        if (count < 0) {
            throw new IllegalArgumentException("negative count " + count);
        }
        Objects.checkFromIndexSize(arrayOffset, count, arrayLength);
        Objects.checkFromIndexSize(byteOffset, bytes, seg.byteSize());
    }
}

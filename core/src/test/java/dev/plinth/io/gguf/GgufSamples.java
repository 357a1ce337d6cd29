package dev.plinth.io.gguf;

import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded generators of GGUF content covering every metadata type and every {@link DType}. */
final class GgufSamples {
    private GgufSamples() {
    }

    /** Options: which features the file uses (llama.cpp cannot read nested arrays). */
    record Options(int version, int alignment, boolean nestedArrays, boolean emptyTensors) {
    }

    static GgufWriter sample(long seed, Options o) {
        Random r = new Random(seed);
        GgufWriter w = new GgufWriter().version(o.version());
        w.put("general.architecture", GgufValue.of("plinth-test"));
        if (o.alignment() != GgufFile.DEFAULT_ALIGNMENT || r.nextBoolean()) {
            w.put("general.alignment", GgufValue.ofUint32(o.alignment()));
        }
        for (GgufType t : GgufType.values()) {
            if (t != GgufType.ARRAY) {
                w.put("test.scalar." + t.name().toLowerCase(), new GgufValue(t, scalar(t, r)));
                w.put("test.array." + t.name().toLowerCase(), GgufValue.ofArray(t, elements(t, r, 1 + r.nextInt(5))));
            }
        }
        w.put("test.array.empty", GgufValue.ofArray(GgufType.INT32, List.of()));
        w.put("test.unicode", GgufValue.of("héllo wörld ✓ 𝄞 中文"));
        w.put("test.edges.u64", GgufValue.ofUint64(-1L));
        w.put("test.edges.i64", GgufValue.ofInt64(Long.MIN_VALUE));
        w.put("test.edges.u32", GgufValue.ofUint32(0xFFFF_FFFFL));
        w.put("test.edges.u16", GgufValue.ofUint16(0xFFFF));
        w.put("test.edges.u8", GgufValue.ofUint8(0xFF));
        w.put("test.edges.i8", GgufValue.ofInt8(-128));
        w.put("test.edges.f32nan", GgufValue.ofFloat32(Float.intBitsToFloat(0x7FC0_0001)));
        w.put("test.edges.f64negzero", GgufValue.ofFloat64(-0.0));
        w.put("test.edges.emptystring", GgufValue.of(""));
        if (o.nestedArrays()) {
            List<Object> inner = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                inner.add(new GgufValue.GgufArray(GgufType.UINT8, elements(GgufType.UINT8, r, i)));
            }
            w.put("test.nested.u8", GgufValue.ofArray(GgufType.ARRAY, inner));
            GgufValue.GgufArray deep = new GgufValue.GgufArray(GgufType.STRING, List.of("a", "bc"));
            for (int d = 0; d < 5; d++) {
                deep = new GgufValue.GgufArray(GgufType.ARRAY, List.of(deep, deep));
            }
            w.put("test.nested.deep", new GgufValue(GgufType.ARRAY, deep));
        }
        for (DType dt : DType.values()) {
            long cols = (long) dt.blockSize() * (1 + r.nextInt(2));
            long rows = 1 + r.nextInt(3);
            w.add(randomTensor("t." + dt.name().toLowerCase(), dt, new long[] {rows, cols}, r));
        }
        w.add(randomTensor("t.rank4", DType.F16, new long[] {2, 1, 3, 4}, r));
        w.add(randomTensor("t.rank1", DType.I32, new long[] {5}, r));
        w.add(randomTensor("t.scalar", DType.F32, new long[] {}, r));
        if (o.emptyTensors()) {
            w.add(randomTensor("t.empty", DType.F32, new long[] {0, 8}, r));
            w.add(randomTensor("t.after_empty", DType.I8, new long[] {3}, r));
        }
        return w;
    }

    static Tensor randomTensor(String name, DType dt, long[] shape, Random r) {
        long elements = 1;
        for (long d : shape) {
            elements *= d;
        }
        byte[] data = new byte[(int) dt.byteSize(elements)];
        r.nextBytes(data);
        return new Tensor(name, dt, shape, MemorySegment.ofArray(data));
    }

    static Object scalar(GgufType t, Random r) {
        return switch (t) {
            case UINT8 -> r.nextInt(256);
            case INT8 -> r.nextInt(256) - 128;
            case UINT16 -> r.nextInt(65536);
            case INT16 -> r.nextInt(65536) - 32768;
            case UINT32 -> r.nextLong() >>> 32;
            case INT32 -> r.nextInt();
            case FLOAT32 -> r.nextFloat() * 1000 - 500;
            case BOOL -> r.nextBoolean();
            case STRING -> randomString(r);
            case UINT64, INT64 -> r.nextLong();
            case FLOAT64 -> r.nextGaussian();
            case ARRAY -> throw new IllegalArgumentException();
        };
    }

    static List<Object> elements(GgufType t, Random r, int n) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(scalar(t, r));
        }
        return out;
    }

    static String randomString(Random r) {
        String[] pieces = {"a", "token", "▁the", "é", "✓", "𝄞", " ", "<s>", "\n", "中"};
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            sb.append(pieces[r.nextInt(pieces.length)]);
        }
        return sb.toString();
    }
}

package dev.plinth.io.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Hand-built ModelProtos (wire format written here, independently of the reader), hostile bytes and a seeded fuzz. */
class OnnxModelTest {

    /** A minimal protobuf writer: tag, varint, length-delimited. */
    static final class Pb {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pb varint(int field, long v) {
            tag(field, 0);
            raw(v);
            return this;
        }

        Pb bytes(int field, byte[] b) {
            tag(field, 2);
            raw(b.length);
            out.writeBytes(b);
            return this;
        }

        Pb string(int field, String s) {
            return bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Pb message(int field, Pb m) {
            return bytes(field, m.out.toByteArray());
        }

        Pb fixed32(int field, float f) {
            tag(field, 5);
            int bits = Float.floatToRawIntBits(f);
            for (int i = 0; i < 4; i++) {
                out.write(bits >>> (8 * i));
            }
            return this;
        }

        void tag(int field, int wire) {
            raw(((long) field << 3) | wire);
        }

        void raw(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) (v & 0x7F) | 0x80);
                v >>>= 7;
            }
            out.write((int) v);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    static byte[] floatsLe(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    static Pb packedDims(long... dims) {
        Pb p = new Pb();
        for (long d : dims) {
            p.raw(d);
        }
        return p;
    }

    /** A graph with a raw-data weight, a float_data bias, an int64 tensor, a MatMul/Add pair and a Constant. */
    static byte[] sample() {
        Pb weight = new Pb().bytes(1, packedDims(2, 3).bytes()).varint(2, 1).string(8, "onnx::MatMul_7")
                .bytes(9, floatsLe(1, 2, 3, 4, 5, 6));
        Pb bias = new Pb().varint(1, 3).varint(2, 1).string(8, "layer.bias")
                .fixed32(4, 0.5f).fixed32(4, -1f).fixed32(4, 2f);
        Pb ids = new Pb().varint(1, 2).varint(2, 7).string(8, "ids").varint(7, 5).varint(7, -3);
        Pb half = new Pb().varint(1, 1).varint(2, 10).string(8, "half").varint(5, 0x3C00);
        Pb matmul = new Pb().string(1, "x").string(1, "onnx::MatMul_7").string(2, "mm").string(3, "/layer/MatMul")
                .string(4, "MatMul");
        Pb add = new Pb().string(1, "layer.bias").string(1, "mm").string(2, "y").string(4, "Add");
        Pb constTensor = new Pb().varint(2, 1).bytes(9, floatsLe(5.5f));
        Pb constant = new Pb().string(2, "c").string(4, "Constant")
                .message(5, new Pb().string(1, "value").message(5, constTensor).varint(20, 4));
        Pb graph = new Pb().message(1, matmul).message(1, add).message(1, constant).string(2, "g")
                .message(5, weight).message(5, bias).message(5, ids).message(5, half)
                .message(11, new Pb().string(1, "x")).message(12, new Pb().string(1, "y"));
        return new Pb().varint(1, 8).string(2, "test").message(7, graph).message(8, new Pb().varint(2, 17)).bytes();
    }

    static OnnxModel parse(byte[] b) throws ModelFormatException {
        return OnnxModel.parse(null, MemorySegment.ofArray(b));
    }

    @Test
    void readsInitializersNodesAndAttributes() throws Exception {
        OnnxModel m = parse(sample());
        assertEquals(8, m.irVersion());
        assertEquals("test", m.producer());
        Tensor w = m.initializer("onnx::MatMul_7");
        assertEquals(DType.F32, w.dtype());
        assertArrayEquals(new long[] {2, 3}, w.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, w.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));
        assertArrayEquals(new float[] {0.5f, -1f, 2f},
                m.initializer("layer.bias").data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));
        assertArrayEquals(new long[] {5, -3}, m.initializer("ids").data().toArray(ValueLayout.JAVA_LONG_UNALIGNED));
        assertEquals(DType.F16, m.initializer("half").dtype());
        assertEquals((short) 0x3C00, m.initializer("half").data().get(ValueLayout.JAVA_SHORT_UNALIGNED, 0));
        assertEquals(3, m.nodes().size());
        assertEquals("MatMul", m.nodes().get(0).opType());
        assertEquals(java.util.List.of("x", "onnx::MatMul_7"), m.nodes().get(0).inputs());
        OnnxModel.Attribute value = m.nodes().get(2).attributes().get("value");
        assertEquals(4, value.type());
        assertEquals(5.5f, value.t().data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
        assertEquals(java.util.List.of("x"), m.graphInputs());
        assertEquals(java.util.List.of("y"), m.graphOutputs());
    }

    @Test
    void rawDataIsASliceOfTheInput() throws Exception {
        byte[] b = sample();
        MemorySegment seg = MemorySegment.ofArray(b);
        Tensor w = OnnxModel.parse(null, seg).initializer("onnx::MatMul_7");
        int at = indexOf(b, floatsLe(1, 2, 3, 4, 5, 6));
        java.util.Arrays.fill(b, at, at + 4, (byte) 0);
        assertEquals(0f, w.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void hostileInputsNameFieldAndOffset() {
        byte[] overflow = {0x08, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0x7F};
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> parse(overflow));
        assertTrue(e.getMessage().contains("overflows"), e.getMessage());
        assertEquals(1, e.offset());

        byte[] longLength = new Pb().bytes(7, new byte[0]).bytes();
        longLength[1] = 100;
        e = assertThrows(ModelFormatException.class, () -> parse(longLength));
        assertEquals("ModelProto.graph", e.field());

        Pb absurd = new Pb().bytes(1, packedDims(1L << 40, 1L << 40).bytes()).varint(2, 1).string(8, "big")
                .bytes(9, floatsLe(1));
        e = assertThrows(ModelFormatException.class,
                () -> parse(new Pb().message(7, new Pb().message(5, absurd)).bytes()));
        assertTrue(e.field().contains("'big' dims"), e.field());

        Pb wrongSize = new Pb().varint(1, 4).varint(2, 1).string(8, "short").bytes(9, floatsLe(1, 2, 3));
        e = assertThrows(ModelFormatException.class,
                () -> parse(new Pb().message(7, new Pb().message(5, wrongSize)).bytes()));
        assertTrue(e.getMessage().contains("needs 16"), e.getMessage());

        Pb external = new Pb().varint(1, 1).varint(2, 1).string(8, "ext").varint(14, 1);
        e = assertThrows(ModelFormatException.class,
                () -> parse(new Pb().message(7, new Pb().message(5, external)).bytes()));
        assertTrue(e.getMessage().contains("external"), e.getMessage());

        assertThrows(ModelFormatException.class, () -> parse(new byte[] {0x0F}));
        assertThrows(ModelFormatException.class, () -> parse(new byte[0]));
    }

    /** Mutated and truncated copies of the sample: parsed or rejected with ModelFormatException, nothing else. */
    @Test
    void seededFuzz() {
        byte[] base = sample();
        Random rnd = new Random(0x0DD5EED);
        int cases = 5000;
        int rejected = 0;
        for (int c = 0; c < cases; c++) {
            byte[] b = mutate(base, rnd);
            try {
                OnnxModel m = parse(b);
                for (Tensor t : m.initializers().values()) {
                    assertTrue(t.data().byteSize() >= t.byteSize(), "case " + c + ": " + t);
                }
            } catch (ModelFormatException expected) {
                rejected++;
            } catch (RuntimeException | Error e) {
                fail("case " + c + " threw " + e, e);
            }
        }
        System.out.println("ONNX fuzz: " + cases + " cases, " + rejected + " rejected with ModelFormatException");
        assertTrue(rejected > cases / 10 && rejected < cases, "fuzz reached both outcomes: " + rejected);
    }

    static byte[] mutate(byte[] base, Random rnd) {
        byte[] b = base.clone();
        switch (rnd.nextInt(4)) {
            case 0 -> b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
            case 1 -> {
                for (int i = 0; i < 1 + rnd.nextInt(8); i++) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 2 -> b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length));
            default -> {
                int at = rnd.nextInt(b.length - 10);
                for (int i = 0; i < 10; i++) {
                    b[at + i] = (byte) (0x80 | rnd.nextInt(128));
                }
            }
        }
        return b;
    }
}

package dev.plinth.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class GgufValueTest {

    @Test
    void integersAreStoredCanonically() {
        assertEquals(Long.class, new GgufValue(GgufType.UINT32, 7).value().getClass());
        assertEquals(Integer.class, new GgufValue(GgufType.UINT8, 200L).value().getClass());
        assertEquals(GgufValue.ofUint32(7), new GgufValue(GgufType.UINT32, (short) 7));
        assertEquals(-1L, GgufValue.ofUint64(-1).asLong()); // UINT64 keeps its bits
        assertEquals(2.5, new GgufValue(GgufType.FLOAT64, 2.5f).value());
        assertThrows(IllegalArgumentException.class, () -> GgufValue.ofInt8(128));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.ofUint16(-1));
        assertThrows(IllegalArgumentException.class, () -> new GgufValue(GgufType.BOOL, 1));
        assertThrows(NullPointerException.class, () -> new GgufValue(GgufType.STRING, null));
    }

    @Test
    void packedArraysDecodeEveryTypeAndEqualBoxedOnes() {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).putFloat(Float.NaN);
        GgufValue.GgufArray packed = new GgufValue.GgufArray(GgufType.FLOAT32, new PackedList(GgufType.FLOAT32, b.array()));
        GgufValue.GgufArray boxed = new GgufValue.GgufArray(GgufType.FLOAT32, List.of(1.5f, -2f, Float.NaN));
        assertEquals(boxed, packed);
        assertEquals(boxed.hashCode(), packed.hashCode());
        assertArrayEquals(new float[] {1.5f, -2f, Float.NaN}, packed.toFloatArray());

        byte[] raw = {(byte) 0xFF, 0x7F, 0x00, (byte) 0x80};
        assertEquals(List.of(255, 127, 0, 128), new PackedList(GgufType.UINT8, raw));
        assertEquals(List.of(-1, 127, 0, -128), new PackedList(GgufType.INT8, raw));
        assertEquals(List.of(0x7FFF, 0x8000), new PackedList(GgufType.UINT16, raw));
        assertEquals(List.of(32767, -32768), new PackedList(GgufType.INT16, raw));
        assertEquals(List.of(0x80007FFFL), new PackedList(GgufType.UINT32, raw));
        assertEquals(List.of(0x80007FFF), new PackedList(GgufType.INT32, raw));
        assertEquals(List.of(true, false), new PackedList(GgufType.BOOL, new byte[] {1, 0}));
        assertArrayEquals(new long[] {255, 127, 0, 128},
                new GgufValue.GgufArray(GgufType.UINT8, new PackedList(GgufType.UINT8, raw)).toLongArray());
        assertThrows(IllegalArgumentException.class, () -> new PackedList(GgufType.INT32, new byte[3]));
        assertThrows(IllegalStateException.class, () -> GgufValue.ofArray(GgufType.STRING, List.of("a")).asArray().toFloatArray());
    }
}

package dev.plinth.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GgufWriterTest {

    @TempDir
    Path tmp;

    /** A file spelled out byte by byte from the GGUF specification, independent of the writer. */
    @Test
    void writesTheSpecifiedLayout() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        b.put("GGUF".getBytes(StandardCharsets.US_ASCII)).putInt(3).putLong(2).putLong(2);
        b.putLong(4).put("name".getBytes(StandardCharsets.US_ASCII)).putInt(8).putLong(2).put("hi".getBytes(StandardCharsets.US_ASCII));
        b.putLong(1).put("k".getBytes(StandardCharsets.US_ASCII)).putInt(9).putInt(3).putLong(2).putShort((short) -1).putShort((short) 7);
        b.putLong(1).put("a".getBytes(StandardCharsets.US_ASCII)).putInt(2).putLong(3).putLong(2).putInt(0).putLong(0);
        b.putLong(1).put("b".getBytes(StandardCharsets.US_ASCII)).putInt(1).putLong(1).putInt(24).putLong(32);
        while (b.position() % 32 != 0) {
            b.put((byte) 0);
        }
        for (int i = 0; i < 6; i++) {
            b.putFloat(i + 0.5f);
        }
        while (b.position() % 32 != 0) {
            b.put((byte) 0);
        }
        b.put((byte) -3);
        while (b.position() % 32 != 0) {
            b.put((byte) 0);
        }
        byte[] expected = Arrays.copyOf(b.array(), b.position());

        Path p = tmp.resolve("spec.gguf");
        new GgufWriter()
                .put("name", GgufValue.of("hi"))
                .put("k", GgufValue.ofArray(GgufType.INT16, List.of(-1, 7)))
                .add(Tensor.ofFloats("a", new float[] {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f}, 2, 3))
                .add(new Tensor("b", DType.I8, new long[] {1}, MemorySegment.ofArray(new byte[] {-3})))
                .write(p);
        assertArrayEquals(expected, Files.readAllBytes(p));
    }

    @ParameterizedTest
    @CsvSource({"3,32", "2,32", "3,1", "2,2", "3,8", "3,64", "2,256", "3,4096"})
    void generatedFilesReadBackAndRewriteIdentically(int version, int alignment) throws IOException {
        for (long seed = 0; seed < 3; seed++) {
            GgufWriter w = GgufSamples.sample(seed * 31 + alignment, new GgufSamples.Options(version, alignment, true, true));
            Path p = tmp.resolve("gen-" + seed + ".gguf");
            w.write(p);
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(version, f.version());
                assertEquals(alignment, f.alignment());
                assertEquals(0, f.dataStart() % alignment);
                assertEquals(List.copyOf(w.metadata().keySet()), List.copyOf(f.metadata().keySet()));
                for (Map.Entry<String, GgufValue> e : w.metadata().entrySet()) {
                    assertEquals(e.getValue(), f.metadata().get(e.getKey()), e.getKey());
                }
                assertEquals(w.tensors().size(), f.tensorInfos().size());
                long expectedOffset = 0;
                for (int i = 0; i < w.tensors().size(); i++) {
                    Tensor want = w.tensors().get(i);
                    GgufFile.TensorInfo info = f.tensorInfos().get(i);
                    assertEquals(want.name(), info.name());
                    assertEquals(want.dtype(), info.dtype());
                    assertArrayEquals(want.shape(), info.shape());
                    assertEquals(expectedOffset, info.offset(), "offset of " + info.name());
                    expectedOffset += GgufHeaderParser.alignUp(info.byteSize(), alignment);
                    Tensor got = f.tensor(info);
                    assertEquals(-1, want.data().mismatch(got.data()), "data of " + info.name());
                }
                assertEquals(f.dataStart() + expectedOffset, Files.size(p), "file ends with the padded last tensor");
                Path again = tmp.resolve("again.gguf");
                GgufWriter.copyOf(f).write(again);
                assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(again));
            }
        }
    }

    @Test
    void emptyDataSectionIsPaddedOnlyWhenAsked() throws IOException {
        Path padded = tmp.resolve("padded.gguf");
        Path bare = tmp.resolve("bare.gguf");
        new GgufWriter().put("x", GgufValue.of("abc")).write(padded);
        new GgufWriter().put("x", GgufValue.of("abc")).padEmptyDataSection(false).write(bare);
        long header = 4 + 4 + 8 + 8 + 8 + 1 + 4 + 8 + 3;
        assertEquals(header, Files.size(bare));
        assertEquals(64, Files.size(padded));
        for (Path p : List.of(padded, bare)) {
            Path copy = tmp.resolve("copy.gguf");
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals("abc", f.getString("x", null));
                GgufWriter.copyOf(f).write(copy);
            }
            assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(copy));
        }
    }

    @Test
    void copiesFromMappedTensorsInChunks() throws IOException {
        // a 3 MiB tensor crosses the writer's 1 MiB staging buffer several times
        Random r = new Random(7);
        float[] values = new float[3 * 262144 + 5];
        for (int i = 0; i < values.length; i++) {
            values[i] = r.nextFloat();
        }
        Path p = tmp.resolve("big.gguf");
        new GgufWriter().put("general.alignment", GgufValue.ofUint32(64))
                .add(new Tensor("small", DType.I8, new long[] {3}, MemorySegment.ofArray(new byte[] {1, 2, 3})))
                .add(Tensor.ofFloats("big", values, values.length)).write(p);
        Path q = tmp.resolve("big2.gguf");
        try (GgufFile f = GgufFile.open(p)) {
            MemorySegment big = f.tensor("big").data();
            assertTrue(big.isMapped());
            for (int i = 0; i < values.length; i += 9973) {
                assertEquals(values[i], big.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i));
            }
            GgufWriter.copyOf(f).write(q);
        }
        assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(q));
    }

    @Test
    void validatesInputsWithClearMessages() {
        GgufWriter w = new GgufWriter().put("a", GgufValue.ofInt32(1))
                .add(Tensor.ofFloats("t", new float[4], 4));
        expect("duplicate metadata key 'a'", () -> w.put("a", GgufValue.ofInt32(2)));
        expect("must not be empty", () -> w.put("", GgufValue.ofInt32(2)));
        expect("duplicate tensor name 't'", () -> w.add(Tensor.ofFloats("t", new float[4], 4)));
        expect("not a whole number of Q4_0 blocks of 32",
                () -> w.add(new Tensor("q", DType.Q4_0, new long[] {2, 48}, MemorySegment.ofArray(new byte[54]))));
        expect("needs 36 bytes of data but holds 35",
                () -> w.add(new Tensor("q", DType.Q4_0, new long[] {2, 32}, MemorySegment.ofArray(new byte[35]))));
        expect("at most 4",
                () -> w.add(new Tensor("r", DType.I8, new long[] {1, 1, 1, 1, 1}, MemorySegment.ofArray(new byte[1]))));
        expect("negative dimension",
                () -> w.add(new Tensor("n", DType.I8, new long[] {-1}, MemorySegment.ofArray(new byte[0]))));
        expect("more than 2^63 elements",
                () -> w.add(new Tensor("o", DType.I8, new long[] {1L << 40, 1L << 40}, MemorySegment.ofArray(new byte[0]))));
        expect("at most 63", () -> w.add(Tensor.ofFloats("x".repeat(64), new float[1], 1)));
        expect("must be a UINT32", () -> w.put("general.alignment", GgufValue.ofInt32(32)));
        expect("power of two", () -> w.put("general.alignment", GgufValue.ofUint32(48)));
        expect("power of two", () -> w.put("general.alignment", GgufValue.ofUint32(0)));
        expect("unpaired surrogate", () -> w.put("s", GgufValue.of("a\uD800b")));
        expect("unpaired surrogate", () -> w.put("s\uDC00", GgufValue.of("ok")));
        expect("must be 2 or 3", () -> w.version(1));
        GgufValue.GgufArray deep = new GgufValue.GgufArray(GgufType.INT8, List.of(1));
        for (int i = 0; i < 8; i++) {
            deep = new GgufValue.GgufArray(GgufType.ARRAY, List.of(deep));
        }
        GgufValue tooDeep = new GgufValue(GgufType.ARRAY, deep);
        expect("nest deeper than 8", () -> w.put("deep", tooDeep));
        expect("out of range for GGUF UINT8", () -> GgufValue.ofUint8(256));
        expect("out of range for GGUF UINT32", () -> GgufValue.ofUint32(-1));
        expect("cannot be a GGUF FLOAT32", () -> new GgufValue(GgufType.FLOAT32, 1.0));
        expect("cannot be a GGUF INT32", () -> GgufValue.ofArray(GgufType.INT32, List.of("x")));
        // a failed put or add leaves the writer as it was
        assertEquals(List.of("a"), List.copyOf(w.metadata().keySet()));
        assertEquals(1, w.tensors().size());
    }

    @Test
    void failedWriteLeavesTargetAndDirectoryUntouched() throws IOException {
        Path p = tmp.resolve("keep.gguf");
        Files.writeString(p, "previous content");
        Arena arena = Arena.ofShared();
        MemorySegment data = arena.allocate(16);
        GgufWriter w = new GgufWriter().add(new Tensor("t", DType.F32, new long[] {4}, data));
        arena.close(); // the tensor's memory is gone by the time it is written
        assertThrows(IllegalStateException.class, () -> w.write(p));
        assertEquals("previous content", Files.readString(p));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(p), s.toList());
        }
    }

    private static void expect(String fragment, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(fragment), () -> "message '" + x.getMessage() + "' lacks '" + fragment + "'");
    }
}

package dev.plinth.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    @TempDir
    Path tmp;

    static final DType[] TYPES = {DType.F32, DType.F16, DType.BF16, DType.F64, DType.I8, DType.I16, DType.I32, DType.I64};

    static List<Tensor> randomTensors(Random rnd, int count) {
        List<Tensor> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            DType t = TYPES[rnd.nextInt(TYPES.length)];
            long[] shape = new long[rnd.nextInt(4)];
            long n = 1;
            for (int d = 0; d < shape.length; d++) {
                shape[d] = rnd.nextInt(5);
                n *= shape[d];
            }
            byte[] bytes = new byte[(int) t.byteSize(n)];
            rnd.nextBytes(bytes);
            list.add(new Tensor("t" + rnd.nextInt(1000) + "." + i + (i % 3 == 0 ? "é\"\n" : ""), t, shape,
                    MemorySegment.ofArray(bytes)));
        }
        return list;
    }

    @Test
    void roundTripsEverySupportedDtypeAndShape() throws Exception {
        Random rnd = new Random(42);
        for (int round = 0; round < 20; round++) {
            List<Tensor> tensors = randomTensors(rnd, 1 + rnd.nextInt(8));
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "pt");
            meta.put("round", "r" + round + "\u0001");
            Path p = tmp.resolve("r" + round + ".safetensors");
            SafetensorsWriter.write(p, tensors, round % 2 == 0 ? meta : null);
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                assertEquals(round % 2 == 0 ? meta : Map.of(), f.metadata());
                assertEquals(0, (8 + f.headerLength()) % 8, "data start aligned to 8");
                assertEquals(tensors.size(), f.tensorInfos().size());
                for (Tensor t : tensors) {
                    Tensor r = f.tensor(t.name());
                    assertEquals(t.dtype(), r.dtype());
                    assertArrayEquals(t.shape(), r.shape());
                    assertArrayEquals(t.data().toArray(ValueLayout.JAVA_BYTE), r.data().toArray(ValueLayout.JAVA_BYTE));
                }
                // Writing what we read gives the same bytes again.
                Path again = tmp.resolve("again.safetensors");
                SafetensorsWriter.write(again, f.tensors(), round % 2 == 0 ? f.metadata() : null);
                assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(again));
            }
        }
    }

    @Test
    void sortsByDtypeAlignmentThenName() throws Exception {
        List<Tensor> tensors = List.of(
                Tensor.ofFloats("b", new float[] {1}, 1),
                new Tensor("a", DType.F16, new long[] {1}, MemorySegment.ofArray(new short[] {1})),
                new Tensor("z", DType.I64, new long[] {1}, MemorySegment.ofArray(new long[] {1})),
                Tensor.ofFloats("a32", new float[] {1}, 1));
        Path p = tmp.resolve("o.safetensors");
        SafetensorsWriter.write(p, tensors, null);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(List.of("z", "a32", "b", "a"), f.tensorInfos().stream().map(SafetensorsModel.TensorInfo::name).toList());
        }
        String header = new String(Files.readAllBytes(p), 8, 60, StandardCharsets.UTF_8);
        assertEquals("{\"z\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}", header.substring(0, 53));
    }

    @Test
    void matchesTheSafetensorsLibrarysOwnSerializationExamples() throws Exception {
        // The bytes the safetensors library's tests pin for an empty file and an F32 [1,2,3] tensor.
        Path empty = tmp.resolve("empty.safetensors");
        SafetensorsWriter.write(empty, List.of(), null);
        assertArrayEquals(new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '}, Files.readAllBytes(empty));
        Path one = tmp.resolve("one.safetensors");
        SafetensorsWriter.write(one, List.of(Tensor.ofFloats("attn.0", new float[] {0, 1, 2, 3, 4, 5}, 1, 2, 3)), null);
        byte[] bytes = Files.readAllBytes(one);
        assertEquals(64, bytes[0]);
        assertEquals("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}",
                new String(bytes, 8, 64, StandardCharsets.UTF_8));
    }

    @Test
    void writesPythonStyleIndex() throws Exception {
        List<Tensor> tensors = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            tensors.add(Tensor.ofFloats("layer." + i + ".w", new float[16], 4, 4));
        }
        List<Path> written = SafetensorsWriter.writeSharded(tmp, tensors, Map.of("format", "pt"), 150);
        assertEquals(4, written.size());
        String index = Files.readString(tmp.resolve(SafetensorsModel.INDEX_FILE));
        assertEquals("""
                {
                  "metadata": {
                    "total_size": 320
                  },
                  "weight_map": {
                    "layer.0.w": "model-00001-of-00003.safetensors",
                    "layer.1.w": "model-00001-of-00003.safetensors",
                    "layer.2.w": "model-00002-of-00003.safetensors",
                    "layer.3.w": "model-00002-of-00003.safetensors",
                    "layer.4.w": "model-00003-of-00003.safetensors"
                  }
                }
                """, index);
        try (SafetensorsModel m = SafetensorsModel.open(tmp.resolve(SafetensorsModel.INDEX_FILE))) {
            assertEquals(5, m.tensorInfos().size());
            assertEquals(Map.of("format", "pt"), m.metadata());
        }
        // One shard's worth writes a plain model.safetensors and no index.
        Path single = Files.createDirectory(tmp.resolve("single"));
        assertEquals(List.of(single.resolve("model.safetensors")), SafetensorsWriter.writeSharded(single, tensors, null, 1 << 20));
    }

    @Test
    void refusesWhatSafetensorsCannotHold() {
        Tensor q = new Tensor("q", DType.Q8_0, new long[] {32}, MemorySegment.ofArray(new byte[34]));
        var e = assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(tmp.resolve("q"), List.of(q), null));
        assertEquals(true, e.getMessage().contains("F32"));
        Tensor shortData = new Tensor("s", DType.F32, new long[] {4}, MemorySegment.ofArray(new byte[8]));
        assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(tmp.resolve("s"), List.of(shortData), null));
        assertEquals(false, Files.exists(tmp.resolve("s")));
    }

    /** A raw file: u64 header length, header text, then data bytes. */
    static byte[] raw(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
    }
}

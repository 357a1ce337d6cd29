package dev.plinth.io.llama2c;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Llama2cRoundTripTest {

    @TempDir
    Path tmp;

    static Llama2cConfig randomConfig(Random rnd) {
        int kvHeads = 1 + rnd.nextInt(2);
        int heads = kvHeads * (1 + rnd.nextInt(2));
        int dim = heads * 2 * (1 + rnd.nextInt(3));
        return new Llama2cConfig(dim, 1 + rnd.nextInt(12), 1 + rnd.nextInt(3), heads, kvHeads, 1 + rnd.nextInt(20),
                1 + rnd.nextInt(8), rnd.nextBoolean());
    }

    /** Writes a random valid checkpoint to {@code scratch} and returns its bytes. */
    static byte[] randomCheckpointBytes(Random rnd, Path scratch) throws Exception {
        Llama2cConfig c = randomConfig(rnd);
        Map<String, Tensor> tensors = new HashMap<>();
        for (Llama2cLayout.Slot s : Llama2cLayout.slots(c)) {
            float[] v = new float[(int) (s.byteSize() / 4)];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) rnd.nextGaussian();
            }
            tensors.put(s.name(), Tensor.ofFloats(s.name(), v, s.shape()));
        }
        Llama2cWriter.write(scratch, c, tensors);
        return Files.readAllBytes(scratch);
    }

    static Llama2cVocabulary randomVocabulary(Random rnd, int n) {
        List<String> pieces = new ArrayList<>();
        float[] scores = new float[n];
        int max = 0;
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = rnd.nextInt(5); k > 0; k--) {
                sb.appendCodePoint(rnd.nextInt(4) == 0 ? 0x4e00 + rnd.nextInt(100) : 'a' + rnd.nextInt(26));
            }
            pieces.add(sb.toString());
            scores[i] = rnd.nextInt(3) == 0 ? Float.NaN : -rnd.nextFloat() * 100;
            max = Math.max(max, sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        }
        return new Llama2cVocabulary(max, pieces, scores);
    }

    @Test
    void roundTripsRandomCheckpoints() throws Exception {
        Random rnd = new Random(3);
        for (int round = 0; round < 30; round++) {
            Path p = tmp.resolve("c" + round + ".bin");
            byte[] bytes = randomCheckpointBytes(rnd, p);
            try (Llama2cCheckpoint c = Llama2cCheckpoint.open(p)) {
                Map<String, Tensor> all = new HashMap<>();
                c.tensors().forEach(t -> all.put(t.name(), t));
                all.put(Llama2cCheckpoint.FREQ_CIS_REAL, c.legacyTensor(Llama2cCheckpoint.FREQ_CIS_REAL));
                all.put(Llama2cCheckpoint.FREQ_CIS_IMAG, c.legacyTensor(Llama2cCheckpoint.FREQ_CIS_IMAG));
                Path again = tmp.resolve("again.bin");
                Llama2cWriter.write(again, c.config(), all);
                assertArrayEquals(bytes, Files.readAllBytes(again));
                assertEquals(!c.config().sharedClassifier(), c.tensor("output.weight") != null);
                int layers = c.config().nLayers();
                assertEquals(2 + 9 * layers + (c.config().sharedClassifier() ? 0 : 1), c.tensorInfos().size());
            }
        }
    }

    @Test
    void slicesLayersFromTheStackedArrays() throws Exception {
        Llama2cConfig cfg = new Llama2cConfig(4, 6, 2, 2, 1, 3, 2, false);
        Map<String, Tensor> tensors = new HashMap<>();
        float counter = 0;
        for (Llama2cLayout.Slot s : Llama2cLayout.slots(cfg)) {
            float[] v = new float[(int) (s.byteSize() / 4)];
            for (int i = 0; i < v.length; i++) {
                v[i] = counter++;
            }
            tensors.put(s.name(), Tensor.ofFloats(s.name(), v, s.shape()));
        }
        Path p = tmp.resolve("seq.bin");
        Llama2cWriter.write(p, cfg, tensors);
        // Laid out by hand: embedding 3x4=12 floats, rms_att 2x4, wq 2x(4x4), wk 2x(2x4) ...
        ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(-3, file.getInt(20));
        try (Llama2cCheckpoint c = Llama2cCheckpoint.open(p)) {
            assertEquals(12f + 8 + 16, c.tensor("blk.1.attn_q.weight").data().getAtIndex(ValueLayout.JAVA_FLOAT, 0));
            assertEquals(12f + 8 + 32 + 8, c.tensor("blk.1.attn_k.weight").data().getAtIndex(ValueLayout.JAVA_FLOAT, 0));
            float[] out = c.tensor("output.weight").data().toArray(ValueLayout.JAVA_FLOAT);
            assertEquals(file.getFloat(file.capacity() - 4), out[out.length - 1]);
        }
    }

    @Test
    void roundTripsVocabulariesBitForBit() throws Exception {
        Random rnd = new Random(4);
        for (int round = 0; round < 20; round++) {
            Llama2cVocabulary v = randomVocabulary(rnd, 1 + rnd.nextInt(50));
            Path p = tmp.resolve("v.bin");
            v.write(p);
            byte[] bytes = Files.readAllBytes(p);
            Llama2cVocabulary r = Llama2cVocabulary.read(p, v.size());
            assertEquals(v, r);
            r.write(p);
            assertArrayEquals(bytes, Files.readAllBytes(p));
        }
    }

    private ModelFormatException rejectCheckpoint(int[] header, long floats, String field) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(28 + (int) floats * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int h : header) {
            b.putInt(h);
        }
        Path p = tmp.resolve("bad.bin");
        Files.write(p, b.array());
        var e = assertThrows(ModelFormatException.class, () -> Llama2cCheckpoint.open(p).close());
        assertEquals(field, e.field(), e.getMessage());
        return e;
    }

    @Test
    void rejectsHostileHeaders() throws Exception {
        rejectCheckpoint(new int[] {0, 172, 5, 8, 4, 512, 512}, 0, "dim");
        rejectCheckpoint(new int[] {64, 172, -5, 8, 4, 512, 512}, 0, "n_layers");
        rejectCheckpoint(new int[] {64, 172, 5, 7, 4, 512, 512}, 0, "n_heads");
        rejectCheckpoint(new int[] {64, 172, 5, 8, 3, 512, 512}, 0, "n_kv_heads");
        rejectCheckpoint(new int[] {64, 172, 5, 8, 4, 0, 512}, 0, "vocab_size");
        rejectCheckpoint(new int[] {64, 172, 5, 8, 4, Integer.MIN_VALUE, 512}, 0, "vocab_size");
        rejectCheckpoint(new int[] {0x616b3432, 2, 5, 8, 4, 512, 512}, 0, "magic");
        rejectCheckpoint(new int[] {64, 172, 4097, 8, 4, 512, 512}, 0, "n_layers");
        var e = rejectCheckpoint(new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE, 4096, 1, 1, Integer.MAX_VALUE, Integer.MAX_VALUE}, 0, "header");
        assertTrue(e.getMessage().contains("2^63"), e.getMessage());
        e = rejectCheckpoint(new int[] {64, 172, 5, 8, 4, 512, 512}, 100, "file size");
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertEquals(28 + 400, e.offset());
        var tiny = assertThrows(ModelFormatException.class, () -> {
            Path p = tmp.resolve("tiny.bin");
            Files.write(p, new byte[10]);
            Llama2cCheckpoint.open(p).close();
        });
        assertEquals("header", tiny.field());
    }

    @Test
    void rejectsHostileTokenizers() throws Exception {
        Path p = tmp.resolve("t.bin");
        Files.write(p, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(4).putFloat(0).putInt(5).array());
        assertEquals("token 0 length", assertThrows(ModelFormatException.class, () -> Llama2cVocabulary.read(p)).field());
        Files.write(p, ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(4).putFloat(0).putInt(-1).array());
        assertThrows(ModelFormatException.class, () -> Llama2cVocabulary.read(p));
        Files.write(p, ByteBuffer.allocate(14).order(ByteOrder.LITTLE_ENDIAN).putInt(4).putFloat(0).putInt(2)
                .put((byte) 0xC3).put((byte) 0x28).array());
        var e = assertThrows(ModelFormatException.class, () -> Llama2cVocabulary.read(p));
        assertEquals(12, e.offset());
        Files.write(p, ByteBuffer.allocate(14).order(ByteOrder.LITTLE_ENDIAN).putInt(4).putFloat(0).putInt(2).put((byte) 'a')
                .put((byte) 'b').array());
        assertEquals(1, Llama2cVocabulary.read(p).size());
        assertThrows(ModelFormatException.class, () -> Llama2cVocabulary.read(p, 2));
        Files.write(p, new byte[] {-1, -1, -1, -1});
        assertEquals("max_token_length", assertThrows(ModelFormatException.class, () -> Llama2cVocabulary.read(p)).field());
    }
}

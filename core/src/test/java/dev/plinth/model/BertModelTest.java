package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.plinth.SharedData;
import dev.plinth.io.ModelFormatException;
import dev.plinth.io.safetensors.SafetensorsModel;
import dev.plinth.tensor.Tensor;
import java.io.ByteArrayOutputStream;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bert-tiniest Hugging Face folder (safetensors, {@code bert.} prefix) and its GGUF rendering. */
class BertModelTest {
    static final List<String> TEXTS = List.of("Hello world!", "The quick brown fox jumps over the lazy dog.",
            "a", "Call me Ishmael. Some years ago, never mind how long precisely, I thought I would sail about.");

    @TempDir
    Path tmp;

    static List<int[]> ids(Path folder) throws Exception {
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder().optTokenizerPath(folder.resolve("tokenizer.json"))
                .optAddSpecialTokens(true).optTruncation(false).optPadding(false).build()) {
            List<int[]> out = new ArrayList<>();
            for (String t : TEXTS) {
                long[] l = hf.encode(t).getIds();
                int[] x = new int[l.length];
                for (int i = 0; i < l.length; i++) {
                    x[i] = (int) l[i];
                }
                out.add(x);
            }
            return out;
        }
    }

    @Test
    void tiniestLoadsAndRuns() throws Exception {
        Path folder = SharedData.require("models/bert-tiniest");
        List<int[]> ids = ids(folder);
        try (BertModel m = BertModel.load(folder)) {
            assertEquals(new BertConfig(30522, 4, 1, 1, 8, 512, 2, 1e-12f), m.config());
            for (int[] x : ids) {
                float[][] h = m.hiddenStates(x);
                assertEquals(x.length, h.length);
                for (float[] row : h) {
                    assertEquals(4, row.length);
                    for (float v : row) {
                        assertTrue(Float.isFinite(v));
                    }
                }
            }
            float[][] batch = m.embed(ids, Pooling.MEAN, true);
            assertEquals(TEXTS.size(), batch.length);
            for (int s = 0; s < ids.size(); s++) {
                assertEquals(4, batch[s].length);
                double norm = 0;
                for (float v : batch[s]) {
                    norm += v * v;
                }
                assertEquals(1.0, norm, 1e-5);
                // Packing sentences together must not leak attention across them.
                float[][] alone = m.embed(List.of(ids.get(s)), Pooling.MEAN, true);
                assertArrayEquals(alone[0], batch[s], 1e-5f);
                // Mean pooling of the hidden states, by hand.
                float[][] h = m.hiddenStates(ids.get(s));
                float[] mean = new float[4];
                for (float[] row : h) {
                    for (int j = 0; j < 4; j++) {
                        mean[j] += row[j] / h.length;
                    }
                }
                float[] raw = m.embed(List.of(ids.get(s)), Pooling.MEAN, false)[0];
                assertArrayEquals(mean, raw, 1e-5f);
                assertArrayEquals(h[0], m.embed(List.of(ids.get(s)), Pooling.CLS, false)[0], 1e-6f);
            }
            assertThrows(IllegalArgumentException.class, () -> m.embed(List.of(new int[] {30522}), Pooling.MEAN, true));
            assertThrows(IllegalArgumentException.class, () -> m.embed(List.of(new int[513]), Pooling.MEAN, true));
        }
    }

    /** The same weights under llama.cpp's GGUF names and bert.* metadata give the same states. */
    @Test
    void ggufRenderingMatchesSafetensors() throws Exception {
        Path folder = SharedData.require("models/bert-tiniest");
        Path gguf = tmp.resolve("tiniest.gguf");
        try (SafetensorsModel st = SafetensorsModel.open(folder)) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (SafetensorsModel.TensorInfo info : st.tensorInfos()) {
                String hf = info.name().startsWith("bert.") ? info.name().substring(5) : info.name();
                String name = BertWeights.ggufName(hf);
                if (name != null) {
                    tensors.put(name, st.tensor(info.name()));
                }
            }
            assertEquals(21, tensors.size());
            Files.write(gguf, ggufBytes(tensors));
        }
        List<int[]> ids = ids(folder);
        try (BertModel a = BertModel.load(folder); BertModel b = BertModel.load(gguf)) {
            assertEquals(a.config(), b.config());
            for (int[] x : ids) {
                float[][] ha = a.hiddenStates(x);
                float[][] hb = b.hiddenStates(x);
                for (int t = 0; t < x.length; t++) {
                    assertArrayEquals(ha[t], hb[t], 0f);
                }
            }
        }
    }

    @Test
    void missingTensorNamesTheTensor() throws Exception {
        Path folder = SharedData.require("models/bert-tiniest");
        Path gguf = tmp.resolve("broken.gguf");
        try (SafetensorsModel st = SafetensorsModel.open(folder)) {
            Files.write(gguf, ggufBytes(Map.of("token_embd.weight", st.tensor("bert.embeddings.word_embeddings.weight"))));
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> BertModel.load(gguf));
        assertTrue(e.getMessage().contains("embeddings.position_embeddings.weight"), e.getMessage());
    }

    /** A GGUF v3 file (written here from the format description) holding F32 tensors and tiniest's bert.* keys. */
    static byte[] ggufBytes(Map<String, Tensor> tensors) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Le le = new Le(out);
        out.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        le.u32(3);
        le.u64(tensors.size());
        le.u64(7);
        le.string("general.architecture");
        le.u32(8);
        le.string("bert");
        for (Object[] kv : new Object[][] {{"bert.embedding_length", 4}, {"bert.block_count", 1},
                {"bert.attention.head_count", 1}, {"bert.feed_forward_length", 8}, {"bert.context_length", 512}}) {
            le.string((String) kv[0]);
            le.u32(4);
            le.u32((Integer) kv[1]);
        }
        le.string("bert.attention.layer_norm_epsilon");
        le.u32(6);
        le.u32(Float.floatToIntBits(1e-12f));
        long offset = 0;
        List<byte[]> blobs = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            le.string(e.getKey());
            le.u32(t.rank());
            for (int d = t.rank() - 1; d >= 0; d--) {
                le.u64(t.dim(d));
            }
            le.u32(0);
            le.u64(offset);
            byte[] blob = t.data().asSlice(0, t.byteSize()).toArray(ValueLayout.JAVA_BYTE);
            blobs.add(blob);
            offset += (blob.length + 31) / 32 * 32;
        }
        while (out.size() % 32 != 0) {
            out.write(0);
        }
        for (byte[] blob : blobs) {
            out.writeBytes(blob);
            while (out.size() % 32 != 0) {
                out.write(0);
            }
        }
        return out.toByteArray();
    }

    record Le(ByteArrayOutputStream out) {
        void u32(int v) {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
        }

        void u64(long v) {
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            out.writeBytes(b);
        }
    }
}

package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.plinth.SharedData;
import dev.plinth.text.Tokenizers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * all-MiniLM-L6-v2 as shipped in langchain4j's Maven artifact: Plinth tokenizes with its WordPiece
 * (ids checked against HF tokenizers via DJL), reads the ONNX file's initializers and runs its own
 * encoder; ONNX Runtime runs the same graph. Both get the same token
 * ids; ONNX Runtime's token states are pooled the way sentence-transformers does (mask-aware mean,
 * L2), Plinth's come from {@link Embedder}.
 */
class MiniLmConformanceTest {
    static final int SENTENCES = 200;

    @TempDir
    static Path dir;

    static Path resource(String name) throws IOException {
        Path out = dir.resolve(name);
        if (!Files.exists(out)) {
            try (InputStream in = MiniLmConformanceTest.class.getResourceAsStream("/" + name)) {
                assertTrue(in != null, name + " not on the test classpath");
                Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return out;
    }

    /** Seeded spans of Moby-Dick from one word to a few hundred (the longest are truncated to 256 tokens). */
    static List<String> sentences() throws IOException {
        String[] words = Files.readString(SharedData.require("moby-dick/moby-dick.txt")).split("\\s+");
        Random rnd = new Random(20261128);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < SENTENCES; i++) {
            int len = 1 + rnd.nextInt(i % 10 == 0 ? 320 : 40);
            int start = rnd.nextInt(words.length - len);
            out.add(String.join(" ", java.util.Arrays.copyOfRange(words, start, start + len)));
        }
        return out;
    }

    @Test
    void embeddingsMatchOnnxRuntime() throws Exception {
        List<String> texts = sentences();
        Path onnx = resource("all-minilm-l6-v2.onnx");
        Path tokJson = resource("all-minilm-l6-v2-tokenizer.json");
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder().optTokenizerPath(tokJson)
                .optAddSpecialTokens(true).optTruncation(false).optPadding(false).build();
             BertModel model = BertModel.load(onnx)) {
            BertConfig c = model.config();
            assertEquals(new BertConfig(30522, 384, 6, 12, 1536, 512, 2, 1e-12f), c);
            Embedder embedder = Embedder.meanNormalized(model, Tokenizers.fromTokenizerJson(tokJson));
            List<int[]> ids = new ArrayList<>();
            int maxLen = 0;
            for (String t : texts) {
                int[] x = embedder.tokenize(t);
                assertArrayEquals(truncate(hf.encode(t).getIds()), x, "Plinth's WordPiece ids are HF's: " + t);
                assertEquals(101, x[0], "[CLS] first");
                assertEquals(102, x[x.length - 1], "[SEP] last, also after truncation");
                ids.add(x);
                maxLen = Math.max(maxLen, x.length);
            }
            long t0 = System.nanoTime();
            float[][] ours = embedder.embed(texts);
            long t1 = System.nanoTime();
            float[][] ref = onnxRuntime(onnx, ids);
            long t2 = System.nanoTime();
            double min = 1;
            double sum = 0;
            for (int i = 0; i < texts.size(); i++) {
                double cos = cosine(ours[i], ref[i]);
                min = Math.min(min, cos);
                sum += cos;
            }
            int tokens = ids.stream().mapToInt(a -> a.length).sum();
            System.out.printf("all-MiniLM-L6-v2: %d sentences, %d tokens (longest %d): cosine min %.9f mean %.9f (1 - min = %.2e);"
                            + " Plinth %.0f ms, ONNX Runtime %.0f ms%n", texts.size(), tokens, maxLen, min,
                    sum / texts.size(), 1 - min, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
            assertEquals(256, maxLen, "the longest spans reach the 256-token limit");
            assertTrue(min >= 0.9999, "min cosine " + min);
        }
    }

    /** HF's ids cut to 256 tokens the way sentence-transformers does: the final [SEP] kept. */
    static int[] truncate(long[] ids) {
        int n = Math.min(ids.length, 256);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (int) ids[i];
        }
        out[n - 1] = (int) ids[ids.length - 1];
        return out;
    }

    /** ONNX Runtime's last_hidden_state, padded batches with an attention mask, mean-pooled over the mask, L2. */
    static float[][] onnxRuntime(Path onnx, List<int[]> ids) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[][] out = new float[ids.size()][];
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(onnx.toString(), opts)) {
            for (int b0 = 0; b0 < ids.size(); b0 += 16) {
                int n = Math.min(16, ids.size() - b0);
                int len = 0;
                for (int i = 0; i < n; i++) {
                    len = Math.max(len, ids.get(b0 + i).length);
                }
                long[][] inputIds = new long[n][len];
                long[][] mask = new long[n][len];
                long[][] types = new long[n][len];
                for (int i = 0; i < n; i++) {
                    int[] x = ids.get(b0 + i);
                    for (int t = 0; t < x.length; t++) {
                        inputIds[i][t] = x[t];
                        mask[i][t] = 1;
                    }
                }
                try (OnnxTensor a = OnnxTensor.createTensor(env, inputIds);
                     OnnxTensor m = OnnxTensor.createTensor(env, mask);
                     OnnxTensor ty = OnnxTensor.createTensor(env, types);
                     OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", ty))) {
                    float[][][] states = (float[][][]) r.get(0).getValue();
                    for (int i = 0; i < n; i++) {
                        out[b0 + i] = meanL2(states[i], mask[i]);
                    }
                }
            }
        }
        return out;
    }

    static float[] meanL2(float[][] states, long[] mask) {
        double[] sum = new double[states[0].length];
        int count = 0;
        for (int t = 0; t < states.length; t++) {
            if (mask[t] == 1) {
                count++;
                for (int j = 0; j < sum.length; j++) {
                    sum[j] += states[t][j];
                }
            }
        }
        double norm = 0;
        for (double v : sum) {
            norm += (v / count) * (v / count);
        }
        norm = Math.sqrt(norm);
        float[] e = new float[sum.length];
        for (int j = 0; j < e.length; j++) {
            e[j] = (float) (sum[j] / count / norm);
        }
        return e;
    }

    static double cosine(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }
}

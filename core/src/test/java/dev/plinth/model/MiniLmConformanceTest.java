package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.plinth.SharedData;
import dev.plinth.text.Tokenizers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
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
        return resource(dir, name);
    }

    /** Copies a resource of the langchain4j artifact into {@code dir} (ONNX Runtime and mmap need a file). */
    static Path resource(Path dir, String name) throws IOException {
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

    /** ONNX Runtime's embeddings of the same ids ({@link OnnxReference}). */
    static float[][] onnxRuntime(Path onnx, List<int[]> ids) throws Exception {
        try (OnnxReference ort = new OnnxReference(onnx, 0)) {
            return ort.embed(ids);
        }
    }

    static double cosine(float[] a, float[] b) {
        return OnnxReference.cosine(a, b);
    }
}

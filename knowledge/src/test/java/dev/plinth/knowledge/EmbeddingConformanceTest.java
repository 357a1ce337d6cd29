package dev.plinth.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.model.OnnxReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The default embedder (Plinth's BERT encoder on all-MiniLM-L6-v2's ONNX weights) against ONNX
 * Runtime on the same file and token ids: 1,000 chunks of the shared Debian Reference, as ingest
 * makes them (900 at a 64-token budget, 100 at the default 256), each with cosine ≥ 0.99999.
 */
class EmbeddingConformanceTest {
    static final int CHUNKS = 1000;
    static final double MIN_COSINE = 0.99999;

    /** {@code count} chunks of the Debian Reference at a budget of {@code tokens}, as ingest embeds them. */
    static List<String> chunks(KnowledgeEmbedder e, int tokens, int count, int skip) throws Exception {
        Path file = SharedData.require("rag-debian-docs/docs/debian-reference.txt");
        Document d = DocumentReader.read(Files.readAllBytes(file), "r", "r", DocumentReader.Options.DEFAULT).documents().getFirst();
        List<String> texts = new ArrayList<>();
        for (Chunk c : new Chunker(e::tokens, tokens, 0).chunk(d).subList(skip, skip + count)) {
            texts.add(c.embeddedText());
        }
        return texts;
    }

    @Test
    void plinthEmbeddingsMatchOnnxRuntime() throws Exception {
        KnowledgeEmbedder e = TestFiles.minilm();
        List<String> texts = new ArrayList<>(chunks(e, 64, 900, 500));
        texts.addAll(chunks(e, 256, 100, 200));
        assertEquals(CHUNKS, texts.size());
        List<int[]> ids = new ArrayList<>();
        long tokens = 0;
        for (String t : texts) {
            int[] x = e.tokenIds(t);
            ids.add(x);
            tokens += x.length;
        }
        long t0 = System.nanoTime();
        float[][] ours = e.embed(texts, n -> { });
        long t1 = System.nanoTime();
        float[][] reference;
        try (OnnxReference ort = new OnnxReference(e.modelPath(), 0)) {
            reference = ort.embed(ids);
        }
        long t2 = System.nanoTime();
        double min = 1;
        for (int i = 0; i < texts.size(); i++) {
            min = Math.min(min, OnnxReference.cosine(ours[i], reference[i]));
        }
        System.out.printf("%d chunks, %d tokens: cosine min %.9f (1 - min = %.2e); Plinth %.1f s, ONNX Runtime %.1f s%n",
                texts.size(), tokens, min, 1 - min, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        assertTrue(min >= MIN_COSINE, "min cosine " + min);
    }
}

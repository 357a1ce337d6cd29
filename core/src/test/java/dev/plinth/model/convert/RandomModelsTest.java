package dev.plinth.model.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.plinth.io.gguf.GgufFile;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.DecoderModel;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RandomModelsTest {
    @TempDir
    Path dir;

    private static final DecoderConfig SMALL = DecoderConfig.builder("llama").hiddenSize(256).layers(4).heads(4)
            .kvHeads(2).ffnSize(512).vocabSize(1000).contextLength(64).build();

    @Test
    void writtenMixEqualsQuantizingTheF32Model() throws Exception {
        Path f32 = dir.resolve("f32.gguf");
        Path direct = dir.resolve("direct.gguf");
        Path viaQuantizer = dir.resolve("quantized.gguf");
        RandomModels.builder(SMALL).tiedEmbeddings(true).seed(7).writeGguf(f32);
        RandomModels.builder(SMALL).tiedEmbeddings(true).type(QuantType.Q4_K_M).seed(7).writeGguf(direct);
        GgufQuantizer.quantize(f32, viaQuantizer, QuantType.Q4_K_M, GgufQuantizer.Listener.NONE);
        assertEquals(-1L, Files.mismatch(direct, viaQuantizer));
        Map<String, DType> types = types(direct);
        assertEquals(DType.Q6_K, types.get("token_embd.weight"), "tied embedding gets the output's type");
        assertEquals(DType.Q4_K, types.get("blk.1.attn_q.weight"));
        // 4 layers: n/8 = 0, 7n/8 = 3, so use_more_bits holds for layers 2 ((2-0)%3 == 2) and 3 (last eighth)
        assertEquals(DType.Q4_K, types.get("blk.0.attn_v.weight"));
        assertEquals(DType.Q4_K, types.get("blk.1.attn_v.weight"));
        assertEquals(DType.Q6_K, types.get("blk.3.attn_v.weight"), "use_more_bits: last eighth");
        assertEquals(DType.Q6_K, types.get("blk.2.ffn_down.weight"), "use_more_bits: every third");
        assertEquals(DType.F32, types.get("blk.1.ffn_norm.weight"));
    }

    @Test
    void seedsReproduceAndDiffer() throws Exception {
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        Path c = dir.resolve("c.gguf");
        RandomModels.builder(SMALL).type(QuantType.Q8_0).seed(1).writeGguf(a);
        RandomModels.builder(SMALL).type(QuantType.Q8_0).seed(1).writeGguf(b);
        RandomModels.builder(SMALL).type(QuantType.Q8_0).seed(2).writeGguf(c);
        assertEquals(-1L, Files.mismatch(a, b));
        assertNotEquals(-1L, Files.mismatch(a, c));
    }

    @Test
    void weightsAreSmallGaussiansAndTheVocabularyIsUnique() throws Exception {
        Path f = dir.resolve("m.gguf");
        RandomModels.builder(SMALL).seed(3).writeGguf(f);
        try (GgufFile g = GgufFile.open(f)) {
            double[] up = meanAndStd(g.tensor("blk.0.ffn_up.weight"));
            assertEquals(0, up[0], 1e-3);
            assertEquals(0.02, up[1], 5e-4);
            List<Object> tokens = g.getArray("tokenizer.ggml.tokens");
            assertEquals(1000, tokens.size());
            assertEquals(1000, new HashSet<>(tokens).size());
        }
        try (DecoderModel m = DecoderModel.open(f)) {
            float[] logits = m.forward(m.newSession(8), new int[] {1, 300, 301});
            for (float x : logits) {
                assertEquals(0, x, 5, "logits stay moderate");
            }
        }
    }

    @Test
    void matrixTypeInitAndNoVocabulary() throws Exception {
        Path f = dir.resolve("unit.gguf");
        RandomModels.builder(SMALL).matrixType(DType.Q4_0).init(RandomModels.Init.unitScale(0.5, 0.2, 0.1))
                .noVocabulary().seed(4).writeGguf(f);
        Map<String, DType> types = types(f);
        assertEquals(DType.Q4_0, types.get("output.weight"), "no llama-quantize rules: the output is Q4_0 too");
        assertEquals(DType.Q4_0, types.get("token_embd.weight"));
        assertEquals(DType.F32, types.get("blk.0.attn_norm.weight"));
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals("none", g.getString("tokenizer.ggml.model", null));
            assertEquals(1000L, g.getLong("llama.vocab_size", -1));
            double[] down = meanAndStd(g.tensor("blk.0.ffn_down.weight"));
            assertEquals(1 / Math.sqrt(512), down[1], 0.01, "unit scale: 1/sqrt(fan-in)");
            double[] norm = meanAndStd(g.tensor("blk.0.attn_norm.weight"));
            assertEquals(1, norm[0], 0.05);
            assertEquals(0.2, norm[1], 0.03);
        }
    }

    @Test
    void presetsHaveThePublishedShapes() {
        DecoderConfig smol = RandomModels.Preset.parse("smollm2-135m").config();
        assertEquals(List.of(576, 30, 9, 3, 1536, 49152, 64), List.of(smol.hiddenSize(), smol.layers(), smol.heads(),
                smol.kvHeads(), smol.ffnSize(), smol.vocabSize(), smol.headDim()));
        DecoderConfig tiny = RandomModels.Preset.TINYLLAMA_1_1B.config();
        assertEquals(List.of(2048, 22, 32, 4, 5632, 32000), List.of(tiny.hiddenSize(), tiny.layers(), tiny.heads(),
                tiny.kvHeads(), tiny.ffnSize(), tiny.vocabSize()));
        assertThrows(IllegalArgumentException.class, () -> RandomModels.Preset.parse("gpt-5"));
    }

    private static double[] meanAndStd(Tensor t) {
        float[] w = Quantization.toF32(t).data().toArray(ValueLayout.JAVA_FLOAT);
        double s = 0;
        double ss = 0;
        for (float x : w) {
            s += x;
            ss += x * x;
        }
        double mean = s / w.length;
        return new double[] {mean, Math.sqrt(ss / w.length - mean * mean)};
    }

    private static Map<String, DType> types(Path gguf) throws Exception {
        Map<String, DType> m = new LinkedHashMap<>();
        try (GgufFile g = GgufFile.open(gguf)) {
            g.tensorInfos().forEach(t -> m.put(t.name(), t.dtype()));
        }
        return m;
    }
}

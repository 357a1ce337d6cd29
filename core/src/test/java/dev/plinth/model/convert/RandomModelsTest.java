package dev.plinth.model.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.plinth.io.gguf.GgufFile;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.DecoderModel;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Quantization;
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
        RandomModels.write(f32, SMALL, true, QuantType.F32, 7);
        RandomModels.write(direct, SMALL, true, QuantType.Q4_K_M, 7);
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
        RandomModels.write(a, SMALL, false, QuantType.Q8_0, 1);
        RandomModels.write(b, SMALL, false, QuantType.Q8_0, 1);
        RandomModels.write(c, SMALL, false, QuantType.Q8_0, 2);
        assertEquals(-1L, Files.mismatch(a, b));
        assertNotEquals(-1L, Files.mismatch(a, c));
    }

    @Test
    void weightsAreSmallGaussiansAndTheVocabularyIsUnique() throws Exception {
        Path f = dir.resolve("m.gguf");
        RandomModels.write(f, SMALL, false, QuantType.F32, 3);
        try (GgufFile g = GgufFile.open(f)) {
            float[] w = (float[]) null;
            var t = Quantization.toF32(g.tensor("blk.0.ffn_up.weight"));
            w = t.data().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
            double s = 0;
            double ss = 0;
            for (float x : w) {
                s += x;
                ss += x * x;
            }
            double mean = s / w.length;
            double std = Math.sqrt(ss / w.length - mean * mean);
            assertEquals(0, mean, 1e-3);
            assertEquals(0.02, std, 5e-4);
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
    void presetsHaveThePublishedShapes() {
        DecoderConfig smol = RandomModels.Preset.parse("smollm2-135m").config();
        assertEquals(List.of(576, 30, 9, 3, 1536, 49152, 64), List.of(smol.hiddenSize(), smol.layers(), smol.heads(),
                smol.kvHeads(), smol.ffnSize(), smol.vocabSize(), smol.headDim()));
        DecoderConfig tiny = RandomModels.Preset.TINYLLAMA_1_1B.config();
        assertEquals(List.of(2048, 22, 32, 4, 5632, 32000), List.of(tiny.hiddenSize(), tiny.layers(), tiny.heads(),
                tiny.kvHeads(), tiny.ffnSize(), tiny.vocabSize()));
        assertThrows(IllegalArgumentException.class, () -> RandomModels.Preset.parse("gpt-5"));
    }

    private static Map<String, DType> types(Path gguf) throws Exception {
        Map<String, DType> m = new LinkedHashMap<>();
        try (GgufFile g = GgufFile.open(gguf)) {
            g.tensorInfos().forEach(t -> m.put(t.name(), t.dtype()));
        }
        return m;
    }
}

package dev.plinth.model.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.io.gguf.GgufFile;
import dev.plinth.model.DecoderConfig;
import dev.plinth.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Plinth's quantizer against llama.cpp's llama_model_quantize on the same F32 GGUF: the same type
 * for every tensor and the same file, byte for byte.
 */
class GgufQuantizerLlamaCppTest {
    @TempDir
    Path dir;

    /** 8 layers so use_more_bits picks some; FFN 320 is not whole 256-blocks (K-quant fallbacks). */
    private static final DecoderConfig UNTIED = DecoderConfig.builder("llama").hiddenSize(256).layers(8).heads(4)
            .kvHeads(2).ffnSize(320).vocabSize(300).contextLength(128).build();
    private static final DecoderConfig TIED = DecoderConfig.builder("llama").hiddenSize(256).layers(3).heads(4)
            .ffnSize(512).vocabSize(400).contextLength(128).build();

    @ParameterizedTest
    @EnumSource(QuantType.class)
    void untiedModelMatchesLlamaQuantize(QuantType type) throws Throwable {
        compare(UNTIED, false, type, 11);
    }

    @ParameterizedTest
    @EnumSource(value = QuantType.class, names = {"Q4_0", "Q8_0", "Q4_K_M", "Q5_K_M", "Q6_K"})
    void tiedModelMatchesLlamaQuantize(QuantType type) throws Throwable {
        compare(TIED, true, type, 12);
    }

    private void compare(DecoderConfig config, boolean tied, QuantType type, long seed) throws Throwable {
        Path f32 = dir.resolve("f32.gguf");
        RandomModels.builder(config).tiedEmbeddings(tied).seed(seed).writeGguf(f32);
        Path ours = dir.resolve("plinth-" + type.cliName() + ".gguf");
        Path theirs = dir.resolve("llama-" + type.cliName() + ".gguf");
        LlamaQuantize.run(f32, theirs, type);
        GgufQuantizer.quantize(f32, ours, type, GgufQuantizer.Listener.NONE);
        Map<String, DType> expected = types(theirs);
        assertEquals(expected, types(ours), type + ": tensor types");
        assertTrue(expected.containsValue(type.base()), "the base type occurs");
        assertEquals(-1L, Files.mismatch(ours, theirs), type + ": files differ at this byte");
    }

    private static Map<String, DType> types(Path gguf) throws Exception {
        Map<String, DType> m = new LinkedHashMap<>();
        try (GgufFile g = GgufFile.open(gguf)) {
            g.tensorInfos().forEach(t -> m.put(t.name(), t.dtype()));
        }
        return m;
    }
}

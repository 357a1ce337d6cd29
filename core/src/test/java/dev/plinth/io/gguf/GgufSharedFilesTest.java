package dev.plinth.io.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class GgufSharedFilesTest {

    @Test
    void readsTheLlama2cConversion() throws Exception {
        Path p = SharedData.require("models/stories260K/stories260K.gguf");
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(3, f.version());
            assertEquals("llama", f.getString("general.architecture", null));
            assertEquals(48, f.tensorInfos().size());
            assertEquals(512, f.getArray("tokenizer.ggml.tokens").size());
            Tensor emb = f.tensor("token_embd.weight");
            assertEquals(DType.F32, emb.dtype());
            assertEquals(512L, emb.dim(0));
            assertEquals(64L, emb.dim(1));
        }
    }

    @Test
    void readsTheF16LlamaWithFullVocabulary() throws Exception {
        Path p = SharedData.require("models/llama-2-tiny-random/llama-2-tiny-random.gguf");
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(32000, f.getArray("tokenizer.ggml.tokens").size());
            assertTrue(f.tensorInfos().stream().anyMatch(t -> t.dtype() == DType.F16));
        }
    }
}

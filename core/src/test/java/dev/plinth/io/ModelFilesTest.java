package dev.plinth.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {

    @TempDir
    Path tmp;

    @Test
    void opensGguf() throws Exception {
        Path path = SharedData.require("models/stories260K/stories260K.gguf");
        try (ModelFile m = ModelFiles.open(path); GgufFile g = GgufFile.open(path)) {
            assertEquals(ModelFormat.GGUF, m.format());
            assertEquals(Optional.of("llama"), m.architecture());
            assertEquals(48, m.tensorInfos().size());
            assertEquals(260032L + 512 * 64, m.parameterCount()); // llama.cpp's converter stores output.weight too
            assertEquals(512, ((List<?>) m.metadata().get("tokenizer.ggml.tokens")).size());
            assertEquals(List.copyOf(g.metadata().keySet()), List.copyOf(m.metadata().keySet())); // file order
            assertArrayEquals(new long[] {512, 64}, m.tensor("token_embd.weight").shape());
        }
        try (ModelFile m = ModelFiles.open(SharedData.require("models/llama-2-tiny-random/llama-2-tiny-random.gguf"))) {
            assertTrue(m.tensorInfos().stream().anyMatch(t -> t.dtype() == DType.F16));
            assertEquals(m.tensorBytes(), m.tensorInfos().stream().mapToLong(ModelFile.TensorInfo::byteSize).sum());
        }
    }

    @Test
    void opensLlama2cWithItsTokenizerAndAgreesWithTheGguf() throws Exception {
        Path bin = SharedData.require("models/stories260K/stories260K.bin");
        Path tok = SharedData.require("models/stories260K/tok512.bin");
        try (ModelFile m = ModelFiles.open(bin, tok);
             ModelFile g = ModelFiles.open(SharedData.require("models/stories260K/stories260K.gguf"))) {
            assertEquals(ModelFormat.LLAMA2C, m.format());
            assertEquals(Optional.of("llama"), m.architecture());
            assertEquals(260032L, m.parameterCount());
            assertEquals(512, m.metadata().get("tokenizer.tokens"));
            assertEquals(true, m.metadata().get("shared_classifier"));
            for (ModelFile.TensorInfo t : m.tensorInfos()) {
                Tensor a = m.tensor(t.name());
                Tensor b = g.tensor(t.name());
                assertArrayEquals(b.data().toArray(ValueLayout.JAVA_BYTE), a.data().toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    @Test
    void opensHuggingFaceFolders() throws Exception {
        Path gpt2 = SharedData.require("models/fake-gpt2");
        try (ModelFile m = ModelFiles.open(gpt2)) {
            assertEquals(ModelFormat.HF_FOLDER, m.format());
            assertEquals(Optional.of("gpt2"), m.architecture());
            assertEquals(16, m.tensorInfos().size());
            assertEquals((411960L - 8 - 1392) / 4, m.parameterCount());
            assertEquals("pt", m.metadata().get("safetensors.format"));
            assertEquals(50257L, m.metadata().get("vocab_size"));
            assertNull(m.metadata().get("n_inner"));
        }
        try (ModelFile m = ModelFiles.open(SharedData.require("models/bert-tiniest/config.json"))) {
            assertEquals(Optional.of("bert"), m.architecture());
            assertEquals(26, m.tensorInfos().size());
        }
    }

    @Test
    void opensBareSafetensorsFileWhateverItsName() throws Exception {
        Path st = SharedData.require("models/fake-gpt2/model.safetensors");
        Path renamed = Files.copy(st, tmp.resolve("weights.dat"));
        for (Path p : List.of(st, renamed)) {
            try (ModelFile m = ModelFiles.open(p)) {
                assertEquals(ModelFormat.SAFETENSORS, m.format());
                assertEquals(Optional.empty(), m.architecture());
                assertEquals(16, m.tensorInfos().size());
            }
        }
    }

    @Test
    void unknownFilesSaySupportedFormats() throws Exception {
        Path txt = SharedData.require("models/fake-gpt2/merges.txt");
        var e = assertThrows(ModelFormatException.class, () -> ModelFiles.open(txt).close());
        assertTrue(e.getMessage().contains("GGUF") && e.getMessage().contains("llama2.c"), e.getMessage());
        var folder = assertThrows(ModelFormatException.class, () -> ModelFiles.open(tmp).close());
        assertTrue(folder.getMessage().contains("config.json"), folder.getMessage());
        // A tokenizer .bin is not a checkpoint: its "header" does not match its size.
        var tok = assertThrows(ModelFormatException.class,
                () -> ModelFiles.open(SharedData.require("models/stories260K/tok512.bin")).close());
        assertTrue(tok.getMessage().contains("tok512.bin"), tok.getMessage());
        Path zip = Files.write(tmp.resolve("pytorch_model.bin"), new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0});
        assertTrue(assertThrows(ModelFormatException.class, () -> ModelFiles.open(zip).close()).getMessage().contains("PyTorch"));
        Path tiny = Files.write(tmp.resolve("x.safetensors"), new byte[3]);
        assertThrows(ModelFormatException.class, () -> ModelFiles.open(tiny).close());
    }
}

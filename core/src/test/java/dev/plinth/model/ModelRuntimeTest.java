package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one runtime every face uses: model, tokenizer, chat template and stop tokens from a real model file. */
class ModelRuntimeTest {

    @Test
    void storiesFromGgufGeneratesRunCsContinuation() throws Exception {
        Path gguf = SharedData.require("models/stories260K/stories260K.gguf");
        try (ModelRuntime rt = ModelRuntime.open(gguf, null)) {
            assertTrue(rt.tokenizerSource().contains("GGUF vocabulary"), rt.tokenizerSource());
            assertEquals(128, rt.contextLength(0), "the file's context, below the cap");
            assertEquals(64, rt.contextLength(64));
            assertThrows(IllegalArgumentException.class, () -> rt.contextLength(-1));
            assertTrue(rt.chatTemplate().isEmpty(), "llama2.c's converter writes no template");
            assertEquals(Set.of(), rt.endOfTurnTokens(), "EOS </s> is not an extra stop token");
            int[] prompt = rt.tokenizer().encode("Once upon a time", true, false);
            assertArrayEquals(new int[] {1, 403, 407, 261, 378}, prompt);
            GenerationResult r = new Generator(rt.tokenizer()).generate(rt.newSequence(rt.contextLength(0)), prompt,
                    GenerationRequest.of(SamplingParams.greedy(), 10));
            // the first ten of run.c's 60 greedy tokens (shared data README)
            assertArrayEquals(new int[] {432, 383, 286, 261, 376, 298, 315, 421, 395, 317}, r.tokens());
        }
    }

    @Test
    void renderedPromptGetsBosOnlyWhenTheTemplateDidNotWriteIt() throws Exception {
        Path gguf = SharedData.require("models/llama-2-tiny-random/llama-2-tiny-random.gguf");
        try (ModelRuntime rt = ModelRuntime.open(gguf, null); GgufFile file = GgufFile.open(gguf)) {
            assertEquals(file.getString("tokenizer.chat_template", null), rt.chatTemplate().orElse(null));
            int bos = rt.tokenizer().bosId();
            int[] plain = rt.encodeRendered("[INST] hi [/INST]");
            int[] written = rt.encodeRendered("<s>[INST] hi [/INST]");
            assertEquals(bos, plain[0]);
            assertArrayEquals(plain, written, "a BOS written as text is the same single token");
        }
    }

    @Test
    void modelWithoutVocabularyNeedsATokenizerFile(@TempDir Path dir) throws Exception {
        Path checkpoint = SharedData.require("models/stories260K/stories260K.bin");
        MissingTokenizerException e = assertThrows(MissingTokenizerException.class, () -> ModelRuntime.open(checkpoint, null));
        assertTrue(e.getMessage().contains("llama2.c checkpoint holds no vocabulary"), e.getMessage());
        Path tok = SharedData.require("models/stories260K/tok512.bin");
        try (ModelRuntime rt = ModelRuntime.open(checkpoint, tok)) {
            assertArrayEquals(new int[] {1, 403, 407, 261, 378}, rt.tokenizer().encode("Once upon a time", true, false));
        }
        Path folder = Files.createDirectory(dir.resolve("empty"));
        assertThrows(MissingTokenizerException.class, () -> TokenizerLoader.open(folder, null));
    }
}

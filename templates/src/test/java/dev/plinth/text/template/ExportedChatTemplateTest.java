package dev.plinth.text.template;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.hf.TokenizerConfig;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.convert.QuantType;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.text.BpeTrainer;
import dev.plinth.text.ChatMessage;
import dev.plinth.text.ChatMl;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import dev.plinth.train.BaseExport;
import dev.plinth.train.TrainableDecoder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chat template an exported base carries ({@link ChatMl#TEMPLATE}) renders a
 * conversation as ChatML from the Hugging Face folder's tokenizer_config.json and from the GGUF
 * alike, and the rendered turn markers are the tokenizer's special tokens.
 */
class ExportedChatTemplateTest {
    @TempDir
    Path dir;

    @Test
    void theExportedTemplateRendersChatMlFromBothFormats() throws Exception {
        List<String> specials = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
        Path tokenizerJson = dir.resolve("tokenizer.json");
        BpeTrainer.writeTokenizerJson(new BpeTrainer(300, specials).train(List.of(
                "The cat sat on the mat.", "A dog ran in the park.", "Hello there, how are you today?")), tokenizerJson);
        Tokenizer tokenizer = Tokenizers.fromTokenizerJson(tokenizerJson);
        Path init = dir.resolve("init.gguf");
        DecoderConfig shape = DecoderConfig.builder("llama").hiddenSize(16).layers(1).heads(2).kvHeads(1).ffnSize(32)
                .vocabSize(Math.max(285, tokenizer.vocabSize())).contextLength(32).build();
        RandomModels.builder(shape).tiedEmbeddings(true).seed(7).writeGguf(init);
        TrainableDecoder base;
        try (ModelFile f = ModelFiles.open(init)) {
            base = TrainableDecoder.of(f);
        }
        Path gguf = dir.resolve("base.gguf");
        Path hf = dir.resolve("hf");
        BaseExport.writeGguf(base, tokenizerJson, gguf, QuantType.F32);
        BaseExport.writeHuggingFace(base, tokenizerJson, hf);

        List<ChatMessage> chat = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi!"),
                ChatMessage.assistant("Hello."), ChatMessage.user("Bye?"));
        String expected = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                + "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nBye?<|im_end|>\n<|im_start|>assistant\n";
        TokenizerConfig config = TokenizerConfig.read(hf.resolve("tokenizer_config.json"));
        ChatTemplate fromHf = ChatTemplate.of(config.chatTemplate().orElseThrow(),
                config.bosToken().orElseThrow().content(), config.eosToken().orElseThrow().content());
        assertEquals(expected, fromHf.render(chat, true));
        assertEquals("<|endoftext|>", fromHf.eosToken());
        try (GgufFile g = GgufFile.open(gguf)) {
            ChatTemplate fromGguf = ChatTemplate.fromGguf(g);
            assertEquals(expected, fromGguf.render(chat, true));
            assertEquals("<|endoftext|>", fromGguf.eosToken());
        }

        int[] ids = tokenizer.encode(expected, false, true);
        int imStart = tokenizer.encode("<|im_start|>", false, true)[0];
        int imEnd = tokenizer.encode("<|im_end|>", false, true)[0];
        assertArrayEquals(new int[] {tokenizer.vocabSize() - 2, tokenizer.vocabSize() - 1}, new int[] {imStart, imEnd},
                "the turn markers are the tokenizer's special tokens, one id each");
        assertEquals(imStart, ids[0]);
        assertEquals(5, java.util.Arrays.stream(ids).filter(i -> i == imStart).count());
        assertEquals(4, java.util.Arrays.stream(ids).filter(i -> i == imEnd).count());
    }
}

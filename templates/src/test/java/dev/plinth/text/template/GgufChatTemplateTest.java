package dev.plinth.text.template;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.text.ChatMessage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The chat template of a real GGUF file (llama-2-tiny-random, from the shared data). */
class GgufChatTemplateTest {
    @Test
    void templateAndSpecialTokensComeFromTheFile() throws IOException {
        Path file = SharedData.require("models/llama-2-tiny-random/llama-2-tiny-random.gguf");
        try (GgufFile gguf = GgufFile.open(file)) {
            ChatTemplate template = ChatTemplate.fromGguf(gguf);
            String stored = gguf.getString("tokenizer.chat_template", null);
            assertEquals(stored == null, template.isFallback());
            // Llama 2's SentencePiece vocabulary: id 1 is <s>, id 2 is </s>.
            assertEquals(1, gguf.getLong("tokenizer.ggml.bos_token_id", -1));
            assertEquals("<s>", template.bosToken());
            assertEquals("</s>", template.eosToken());
            String out = template.render(List.of(ChatMessage.user("Hi")), true);
            System.out.println("llama-2-tiny-random: fallback=" + template.isFallback() + " rendered=" + out.replace("\n", "\\n"));
            if (template.isFallback()) {
                assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", out);
            }
        }
    }
}

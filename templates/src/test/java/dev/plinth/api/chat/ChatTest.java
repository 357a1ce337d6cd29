package dev.plinth.api.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.api.GenerateOptions;
import dev.plinth.api.LanguageModel;
import dev.plinth.model.GenerationRequest;
import dev.plinth.model.GenerationResult;
import dev.plinth.model.Generator;
import dev.plinth.model.ModelRuntime;
import dev.plinth.model.SamplingParams;
import dev.plinth.product.Fixtures;
import dev.plinth.product.Store;
import dev.plinth.text.ChatMessage;
import dev.plinth.text.template.ProductPrompt;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chat through the library: a product's profile and template shape the prompt as for the CLI and the server. */
class ChatTest {

    @TempDir
    Path tmp;

    @Test
    void aProductsProfileAndTemplateShapeThePromptAndTheReplyIsTheRuntimes() throws Exception {
        Path gguf = Fixtures.tinyLlamaWithTemplate(tmp.resolve("models"));
        Path home = tmp.resolve("home");
        Fixtures.create(Store.open(home), tmp, "tutor", "FROM " + gguf + "\nSYSTEM Answer in one word.\n"
                + "MESSAGE user Red?\nMESSAGE assistant Colour.\nPARAMETER temperature 0\n");
        List<ChatMessage> conversation = List.of(ChatMessage.user("Noun?"));
        try (LanguageModel tutor = LanguageModel.openProduct(home, "tutor")) {
            Chat chat = Chat.of(tutor);
            String prompt = chat.render(conversation);
            assertEquals("[system] Answer in one word.\n[user] Red?\n[assistant] Colour.\n[user] Noun?\n[assistant]", prompt);
            assertEquals(ProductPrompt.of(tutor.profile(), tutor.runtime()).render(conversation), prompt);
            GenerateOptions options = GenerateOptions.defaults().withMaxTokens(12);
            GenerationResult reply = chat.reply(conversation, options);
            ModelRuntime rt = tutor.runtime();
            GenerationResult direct = new Generator(rt.tokenizer()).generate(rt.newSequence(rt.contextLength(0)),
                    rt.encodeRendered(prompt), GenerationRequest.of(SamplingParams.greedy(), 12).withStopTokens(rt.endOfTurnTokens()));
            assertArrayEquals(direct.tokens(), reply.tokens());
            StringBuilder streamed = new StringBuilder();
            chat.reply(conversation, options, streamed::append);
            assertEquals(reply.text(), streamed.toString());
            List<ChatMessage> ownSystem = List.of(ChatMessage.system("Be long."), ChatMessage.user("Noun?"));
            assertTrue(chat.render(ownSystem).startsWith("[system] Be long.\n[user] Red?"), "a conversation's system turn wins");
        }
    }

    @Test
    void aBaseWithoutATemplateChatsInChatMl() throws Exception {
        try (LanguageModel stories = LanguageModel.open(Fixtures.stories(tmp))) {
            Chat chat = Chat.of(stories);
            assertEquals("<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", chat.render(List.of(ChatMessage.user("Hello"))));
            GenerationResult r = chat.reply(List.of(ChatMessage.user("Hello")), GenerateOptions.defaults().withTemperature(0f)
                    .withMaxTokens(20));
            assertTrue(!r.text().contains("<|im_end|>"), r.text());
        }
    }
}

package dev.plinth.springai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.api.GenerateOptions;
import dev.plinth.api.LanguageModel;
import dev.plinth.api.chat.Chat;
import dev.plinth.product.Fixtures;
import dev.plinth.product.Store;
import dev.plinth.text.ChatMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.embedding.EmbeddingModel;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The auto-configuration in Boot's own test harness for auto-configurations: {@code
 * plinth.product} gives a ChatModel that ChatClient drives (blocking and streaming) as Plinth's
 * chat replies, {@code plinth.embedder=builtin} an EmbeddingModel, nothing without them, and an
 * application's own beans win.
 */
class PlinthAutoConfigurationTest {

    private static final String SYSTEM = "Answer in one word.";

    @TempDir
    static Path tmp;

    private static Path home;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(PlinthAutoConfiguration.class));

    @BeforeAll
    static void store() throws Exception {
        home = tmp.resolve("home");
        Path gguf = Fixtures.tinyLlamaWithTemplate(tmp.resolve("models"));
        Fixtures.create(Store.open(home), tmp, "tutor", "FROM " + gguf + "\nPARAMETER temperature 0\nPARAMETER max_tokens 12\n");
    }

    @Test
    void aProductBecomesAChatModelThatChatClientDrives() {
        runner.withPropertyValues("plinth.product=tutor", "plinth.home=" + home).run(context -> {
            ChatModel model = context.getBean(ChatModel.class);
            assertInstanceOf(PlinthChatModel.class, model);
            LanguageModel tutor = context.getBean(LanguageModel.class);
            assertEquals("tutor:latest", tutor.name());
            String expected = Chat.of(tutor).reply(List.of(ChatMessage.system(SYSTEM), ChatMessage.user("What is a noun?")),
                    GenerateOptions.defaults()).text();
            ChatClient client = ChatClient.create(model);
            assertEquals(expected, client.prompt().system(SYSTEM).user("What is a noun?").call().content());
            List<String> pieces = client.prompt().system(SYSTEM).user("What is a noun?").stream().content()
                    .collectList().block(Duration.ofSeconds(60));
            assertTrue(pieces.size() > 1, "pieces: " + pieces);
            assertEquals(expected, String.join("", pieces));
            ChatResponse limited = model.call(new Prompt("Hello", ChatOptions.builder().maxTokens(3).build()));
            assertEquals(3, limited.getMetadata().getUsage().getCompletionTokens());
            assertEquals("LENGTH", limited.getResult().getMetadata().getFinishReason());
            assertFalse(context.containsBean("plinthTextEmbedder"));
        });
    }

    @Test
    void theBuiltinEmbedderBecomesAnEmbeddingModel() {
        runner.withPropertyValues("plinth.embedder=builtin").run(context -> {
            EmbeddingModel model = context.getBean(EmbeddingModel.class);
            assertEquals(384, model.dimensions());
            float[] v = model.embed("Quiet hours start at nine.");
            double norm = 0;
            for (float x : v) {
                norm += x * x;
            }
            assertEquals(1.0, Math.sqrt(norm), 1e-5);
            assertTrue(context.getBeansOfType(ChatModel.class).isEmpty());
        });
    }

    @Test
    void nothingWithoutPropertiesAndTheApplicationsBeansWin() {
        runner.run(context -> {
            assertTrue(context.getBeansOfType(ChatModel.class).isEmpty());
            assertTrue(context.getBeansOfType(EmbeddingModel.class).isEmpty());
        });
        ChatModel own = prompt -> new ChatResponse(List.of());
        runner.withPropertyValues("plinth.product=tutor", "plinth.home=" + home).withBean(ChatModel.class, () -> own)
                .run(context -> assertSame(own, context.getBean(ChatModel.class)));
        runner.withPropertyValues("plinth.product=absent", "plinth.home=" + home)
                .run(context -> assertTrue(context.getStartupFailure() != null));
    }
}

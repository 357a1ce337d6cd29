package dev.plinth.springai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.plinth.product.Fixtures;
import dev.plinth.product.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** A Spring Boot test with only Plinth's auto-configuration imported: the application gets a ChatModel by property alone. */
@SpringBootTest(classes = PlinthBootTest.Slice.class)
class PlinthBootTest {

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(PlinthAutoConfiguration.class)
    static class Slice {
    }

    @DynamicPropertySource
    static void plinth(DynamicPropertyRegistry registry) {
        try {
            Path tmp = Files.createTempDirectory(Files.createDirectories(Path.of("target").toAbsolutePath()), "plinth-boot-test");
            Path gguf = Fixtures.tinyLlamaWithTemplate(tmp.resolve("models"));
            Path home = tmp.resolve("home");
            Fixtures.create(Store.open(home), tmp, "tutor", "FROM " + gguf + "\nPARAMETER temperature 0\nPARAMETER max_tokens 8\n");
            registry.add("plinth.product", () -> "tutor");
            registry.add("plinth.home", home::toString);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Autowired
    ChatModel chatModel;

    @Test
    void theProductAnswersThroughChatClient() {
        String answer = ChatClient.create(chatModel).prompt().user("What is a noun?").call().content();
        assertFalse(answer == null);
        assertEquals(answer, chatModel.call("What is a noun?"));
    }
}

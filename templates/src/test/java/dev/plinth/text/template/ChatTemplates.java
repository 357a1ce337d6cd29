package dev.plinth.text.template;

import dev.plinth.SharedData;
import dev.plinth.text.ChatMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The chat-template corpus under {@code <plinth.shared>/data/chat-templates} (llama.cpp's
 * {@code models/templates}); tests skip with a printed reason when it is absent.
 */
final class ChatTemplates {
    /** The conversation every corpus template renders: system, user, assistant, user. */
    static final List<ChatMessage> THREE_TURNS = List.of(
            ChatMessage.system("You are helpful."),
            ChatMessage.user("Hi"),
            ChatMessage.assistant("Hello!"),
            ChatMessage.user("How are you?"));

    /** The same without the system prompt. */
    static final List<ChatMessage> NO_SYSTEM = THREE_TURNS.subList(1, 4);

    private ChatTemplates() {
    }

    static Path folder() {
        return SharedData.require("chat-templates");
    }

    static String read(String name) {
        try {
            return Files.readString(folder().resolve(name + ".jinja"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package dev.plinth.train.data;

import dev.plinth.text.ChatMessage;
import dev.plinth.text.ChatMl;
import java.util.List;

/**
 * A chat template as fine-tuning needs it: messages to the text the model reads (the CLI passes the
 * base's Jinja template from the {@code templates} module; {@link #CHATML} stands in for a base
 * without one).
 */
@FunctionalInterface
public interface ChatRenderer {

    /** {@code messages} rendered, followed by an opened assistant turn when {@code addGenerationPrompt}. */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);

    /** ChatML ({@link ChatMl#TEMPLATE}) rendered in Java. */
    ChatRenderer CHATML = (messages, addGenerationPrompt) -> {
        StringBuilder sb = new StringBuilder();
        for (ChatMessage m : messages) {
            sb.append(ChatMl.IM_START).append(m.role()).append('\n').append(m.content()).append(ChatMl.IM_END).append('\n');
        }
        if (addGenerationPrompt) {
            sb.append(ChatMl.IM_START).append("assistant\n");
        }
        return sb.toString();
    };
}

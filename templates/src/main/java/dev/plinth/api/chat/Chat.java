package dev.plinth.api.chat;

import dev.plinth.api.GenerateOptions;
import dev.plinth.api.LanguageModel;
import dev.plinth.model.GenerationResult;
import dev.plinth.text.ChatMessage;
import dev.plinth.text.template.ProductPrompt;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Chat with a model through its template: a product's system prompt and few-shot turns come
 * first, the conversation is rendered with the product's template, else the base's own (ChatML
 * when it has none), and the reply stops at the template's end-of-turn marker. The CLI's
 * {@code chat} and the server shape prompts the same way ({@link ProductPrompt}).
 *
 * <pre>{@code
 * try (LanguageModel tutor = LanguageModel.openProduct("tutor")) {
 *     Chat chat = Chat.of(tutor);
 *     GenerationResult r = chat.reply(List.of(ChatMessage.user("What is a noun?")), GenerateOptions.defaults());
 *     chat.reply(List.of(ChatMessage.user("And a verb?")), GenerateOptions.defaults(), System.out::print);  // streaming
 * }
 * }</pre>
 */
public final class Chat {

    /** ChatML's end of turn: a stop string when the model has no template and ChatML stands in. */
    private static final String CHATML_END = "<|im_end|>";

    private final LanguageModel model;
    private final ProductPrompt prompt;

    private Chat(LanguageModel model, ProductPrompt prompt) {
        this.model = model;
        this.prompt = prompt;
    }

    /** Chat with {@code model} (a product's profile applies when it is one). */
    public static Chat of(LanguageModel model) {
        return new Chat(model, ProductPrompt.of(model.profile(), model.runtime()));
    }

    public LanguageModel model() {
        return model;
    }

    /** The prompt the model reads for its next turn in {@code conversation}. */
    public String render(List<ChatMessage> conversation) {
        return prompt.render(conversation);
    }

    /** The model's next turn in {@code conversation}. */
    public GenerationResult reply(List<ChatMessage> conversation, GenerateOptions options) {
        return reply(conversation, options, piece -> { });
    }

    /** {@link #reply(List, GenerateOptions)}, handing {@code onText} the reply as it is produced. */
    public GenerationResult reply(List<ChatMessage> conversation, GenerateOptions options, Consumer<String> onText) {
        GenerateOptions shaped = prompt.template().isFallback() ? options.withStop(withChatMlEnd(options.stop())) : options;
        int[] ids = model.runtime().encodeRendered(render(conversation));
        return model.generate(ids, model.runtime().endOfTurnTokens(), shaped, onText);
    }

    private static List<String> withChatMlEnd(List<String> stop) {
        List<String> all = new ArrayList<>(stop);
        if (!all.contains(CHATML_END)) {
            all.add(CHATML_END);
        }
        return all;
    }
}

package dev.plinth.langchain4j;

import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.plinth.api.GenerateOptions;
import dev.plinth.api.LanguageModel;
import dev.plinth.api.chat.Chat;
import java.util.Set;

/**
 * A Plinth base or product as LangChain4j's {@link ChatModel}, in process: the conversation is
 * rendered with the product's profile and template ({@link Chat}), the request's temperature,
 * top-p, top-k, penalties, token budget and stop sequences override the product's parameters, and
 * a JSON response format (with or without a schema) constrains the output, so {@code AiServices}
 * returning a record get valid JSON. Tools are not supported yet (refused with {@code
 * UnsupportedFeatureException}). The {@link LanguageModel} stays the caller's to close.
 *
 * <pre>{@code
 * try (LanguageModel tutor = LanguageModel.openProduct("tutor")) {
 *     Assistant assistant = AiServices.create(Assistant.class, new PlinthChatModel(tutor));
 *     String answer = assistant.chat("What is a noun?");
 * }
 * }</pre>
 */
public final class PlinthChatModel implements ChatModel {

    private final Chat chat;
    private final GenerateOptions defaults;

    /** Chat with {@code model}, the product's parameters as the defaults. */
    public PlinthChatModel(LanguageModel model) {
        this(model, GenerateOptions.defaults());
    }

    /** Chat with {@code model}, {@code defaults} over the product's parameters where a request leaves a knob unset. */
    public PlinthChatModel(LanguageModel model, GenerateOptions defaults) {
        this.chat = Chat.of(model);
        this.defaults = defaults;
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return Requests.response(chat.reply(Requests.conversation(request), Requests.options(request, defaults)),
                chat.model().name());
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }
}

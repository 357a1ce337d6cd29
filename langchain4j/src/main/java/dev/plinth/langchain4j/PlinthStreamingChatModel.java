package dev.plinth.langchain4j;

import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.plinth.api.GenerateOptions;
import dev.plinth.api.LanguageModel;
import dev.plinth.api.chat.Chat;
import dev.plinth.model.GenerationResult;
import java.util.Set;

/**
 * {@link PlinthChatModel} streaming: the handler hears the reply in pieces as it is generated
 * (never a split character, never part of a stop sequence), then the whole response. Generation
 * runs on the calling thread, so {@code chat} returns after {@code onCompleteResponse} or {@code
 * onError}; run it on an executor to stream in the background.
 */
public final class PlinthStreamingChatModel implements StreamingChatModel {

    private final Chat chat;
    private final GenerateOptions defaults;

    public PlinthStreamingChatModel(LanguageModel model) {
        this(model, GenerateOptions.defaults());
    }

    public PlinthStreamingChatModel(LanguageModel model, GenerateOptions defaults) {
        this.chat = Chat.of(model);
        this.defaults = defaults;
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        GenerationResult result;
        try {
            result = chat.reply(Requests.conversation(request), Requests.options(request, defaults), handler::onPartialResponse);
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        handler.onCompleteResponse(Requests.response(result, chat.model().name()));
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }
}

package dev.plinth.springai;

import dev.plinth.api.GenerateOptions;
import dev.plinth.api.LanguageModel;
import dev.plinth.api.chat.Chat;
import dev.plinth.model.GenerationResult;
import dev.plinth.text.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.scheduler.Schedulers;

/**
 * A Plinth base or product as Spring AI's {@link ChatModel}, in process: the prompt's messages are
 * rendered with the product's profile and template ({@link Chat}), and the prompt's options
 * (temperature, top-p, top-k, penalties, max tokens, stop sequences) override the product's
 * parameters. {@link #stream} emits one response per piece of text, generated on Reactor's
 * bounded-elastic scheduler. Tool calls are refused. The {@link LanguageModel} stays the caller's
 * to close (the auto-configuration closes the one it opens).
 *
 * <pre>{@code
 * ChatClient client = ChatClient.create(new PlinthChatModel(LanguageModel.openProduct("tutor")));
 * String answer = client.prompt().user("What is a noun?").call().content();
 * }</pre>
 */
public final class PlinthChatModel implements ChatModel {

    private final Chat chat;

    public PlinthChatModel(LanguageModel model) {
        this.chat = Chat.of(model);
    }

    @Override
    public ChatResponse call(Prompt prompt) {
        return response(chat.reply(conversation(prompt), options(prompt.getOptions())), null);
    }

    @Override
    public Flux<ChatResponse> stream(Prompt prompt) {
        List<ChatMessage> conversation = conversation(prompt);
        GenerateOptions options = options(prompt.getOptions());
        return Flux.<ChatResponse>create(sink -> generate(conversation, options, sink)).subscribeOn(Schedulers.boundedElastic());
    }

    private void generate(List<ChatMessage> conversation, GenerateOptions options, FluxSink<ChatResponse> sink) {
        try {
            GenerationResult r = chat.reply(conversation, options, piece -> sink.next(piece(piece)));
            sink.next(response(r, ""));
            sink.complete();
        } catch (RuntimeException e) {
            sink.error(e);
        }
    }

    private static ChatResponse piece(String text) {
        return new ChatResponse(List.of(new Generation(new AssistantMessage(text))));
    }

    /** The whole reply, or (streaming) its last, empty piece carrying the finish reason and usage. */
    private ChatResponse response(GenerationResult r, String text) {
        ChatGenerationMetadata finish = ChatGenerationMetadata.builder().finishReason(r.finish().name()).build();
        Generation generation = new Generation(new AssistantMessage(text != null ? text : r.text()), finish);
        return new ChatResponse(List.of(generation), ChatResponseMetadata.builder().model(chat.model().name())
                .usage(new DefaultUsage(r.promptTokens(), r.tokens().length)).build());
    }

    static List<ChatMessage> conversation(Prompt prompt) {
        List<ChatMessage> turns = new ArrayList<>();
        for (Message m : prompt.getInstructions()) {
            String text = m.getText() == null ? "" : m.getText();
            turns.add(switch (m.getMessageType()) {
                case SYSTEM -> ChatMessage.system(text);
                case USER -> ChatMessage.user(text);
                case ASSISTANT -> ChatMessage.assistant(text);
                case TOOL -> throw new UnsupportedOperationException("Plinth's in-process chat model does not call tools yet");
            });
        }
        return turns;
    }

    static GenerateOptions options(ChatOptions o) {
        GenerateOptions g = GenerateOptions.defaults();
        if (o == null) {
            return g;
        }
        g = o.getTemperature() == null ? g : g.withTemperature(o.getTemperature().floatValue());
        g = o.getTopP() == null ? g : g.withTopP(o.getTopP().floatValue());
        g = o.getTopK() == null ? g : g.withTopK(o.getTopK());
        g = o.getMaxTokens() == null ? g : g.withMaxTokens(o.getMaxTokens());
        if (o.getPresencePenalty() != null || o.getFrequencyPenalty() != null) {
            g = g.withPenalties(null, o.getPresencePenalty() == null ? null : o.getPresencePenalty().floatValue(),
                    o.getFrequencyPenalty() == null ? null : o.getFrequencyPenalty().floatValue());
        }
        return o.getStopSequences() == null ? g : g.withStop(o.getStopSequences());
    }
}

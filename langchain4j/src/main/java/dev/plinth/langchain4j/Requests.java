package dev.plinth.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.plinth.api.GenerateOptions;
import dev.plinth.model.GenerationResult;
import dev.plinth.text.ChatMessage;
import java.util.ArrayList;
import java.util.List;

/** LangChain4j's requests as Plinth's conversation and options, and Plinth's result as its response. */
final class Requests {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Requests() {
    }

    /** The conversation; tool calls and non-text content are refused (Plinth's chat does not run tools in process). */
    static List<ChatMessage> conversation(ChatRequest request) {
        ChatRequestParameters p = request.parameters();
        if (p != null && p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw new UnsupportedFeatureException("Plinth's in-process chat models do not call tools yet");
        }
        List<ChatMessage> turns = new ArrayList<>();
        for (dev.langchain4j.data.message.ChatMessage m : request.messages()) {
            turns.add(switch (m) {
                case SystemMessage s -> ChatMessage.system(s.text());
                case UserMessage u -> ChatMessage.user(text(u));
                case AiMessage a when !a.hasToolExecutionRequests() -> ChatMessage.assistant(a.text() == null ? "" : a.text());
                default -> throw new UnsupportedFeatureException("Plinth's in-process chat models take system, user and "
                        + "assistant text messages, not " + m.type());
            });
        }
        return turns;
    }

    private static String text(UserMessage u) {
        StringBuilder text = new StringBuilder();
        for (Content c : u.contents()) {
            if (!(c instanceof TextContent t)) {
                throw new UnsupportedFeatureException("Plinth's models read text; a user message holds " + c.type());
            }
            text.append(text.isEmpty() ? "" : "\n").append(t.text());
        }
        return text.toString();
    }

    /** The request's parameters over {@code defaults}; a null parameter leaves the product's own. */
    static GenerateOptions options(ChatRequest request, GenerateOptions defaults) {
        ChatRequestParameters p = request.parameters();
        GenerateOptions o = defaults;
        if (p == null) {
            return o;
        }
        o = p.temperature() == null ? o : o.withTemperature(p.temperature().floatValue());
        o = p.topP() == null ? o : o.withTopP(p.topP().floatValue());
        o = p.topK() == null ? o : o.withTopK(p.topK());
        o = p.maxOutputTokens() == null ? o : o.withMaxTokens(p.maxOutputTokens());
        if (p.presencePenalty() != null || p.frequencyPenalty() != null) {
            o = o.withPenalties(o.repeatPenalty(), p.presencePenalty() == null ? o.presencePenalty() : p.presencePenalty().floatValue(),
                    p.frequencyPenalty() == null ? o.frequencyPenalty() : p.frequencyPenalty().floatValue());
        }
        if (p.stopSequences() != null && !p.stopSequences().isEmpty()) {
            List<String> stop = new ArrayList<>(o.stop());
            stop.addAll(p.stopSequences());
            o = o.withStop(stop);
        }
        return withFormat(o, p.responseFormat());
    }

    private static GenerateOptions withFormat(GenerateOptions o, ResponseFormat format) {
        if (format == null || format.type() != ResponseFormatType.JSON) {
            return o;
        }
        if (format.jsonSchema() == null) {
            return o.withJsonObject(true);
        }
        try {
            return o.withJsonSchema(JSON.writeValueAsString(JsonSchemaElementJsonUtils.toMap(format.jsonSchema().rootElement())));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON schema map always serializes", e);
        }
    }

    static ChatResponse response(GenerationResult r, String modelName) {
        return ChatResponse.builder()
                .aiMessage(AiMessage.from(r.text()))
                .tokenUsage(new TokenUsage(r.promptTokens(), r.tokens().length))
                .finishReason(switch (r.finish()) {
                    case STOP -> FinishReason.STOP;
                    case LENGTH -> FinishReason.LENGTH;
                })
                .modelName(modelName)
                .build();
    }
}

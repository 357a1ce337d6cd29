package dev.plinth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.model.ModelRuntime;
import dev.plinth.model.json.JsonGrammar;
import dev.plinth.model.json.JsonSchemaException;
import dev.plinth.product.Parameters;
import dev.plinth.text.ChatMessage;
import dev.plinth.text.template.ChatTemplateException;
import dev.plinth.text.template.ProductPrompt;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** {@code POST /v1/chat/completions}: a conversation rendered with the product's profile and template, then generated. */
record ChatCompletions(Catalog catalog, ServerConfig config, Metrics metrics) {

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    private static final int MAX_MESSAGES = 4096;

    void handle(Call call, Access access) throws IOException, InterruptedException {
        Fields f = new Fields(Json.parseObject(call.body()));
        ServedModel model = Models.decoder(catalog, access, f);
        ModelRuntime runtime = model.base().runtime();
        Parameters params = model.profile().parameters();
        List<ChatMessage> messages = messages(f);
        Knowledge.Grounded grounded = model.knowledge() == null ? null : model.knowledge().ground(messages);
        if (grounded != null) {
            messages = grounded.conversation();
        }
        Tools tools = Tools.parse(f);
        Tools active = tools != null && tools.active() ? tools : null;
        int[] prompt = runtime.encodeRendered(render(model, messages, tools));
        Integer requested = f.integer("max_completion_tokens", 1, config.maxTokens())
                .or(() -> f.integer("max_tokens", 1, config.maxTokens())).orElse(null);
        int maxTokens = Generation.maxTokens(requested, f.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens",
                params, config.maxTokens(), prompt.length, Generation.contextLength(model, config), "messages");
        int n = f.integer("n", 1, config.maxChoices()).orElse(1);
        boolean logprobs = f.bool("logprobs").orElse(false);
        if (!logprobs && f.has("top_logprobs")) {
            throw ApiException.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true.");
        }
        GenerationSettings settings = new GenerationSettings(Generation.sampling(f, params), maxTokens,
                Generation.stops(f, params), logprobs ? Generation.topLogprobs(f, "top_logprobs") : -1, -1,
                Generation.logitBias(f, runtime.model().vocabSize()),
                f.bool("ignore_eos").orElse(false), grammar(f, active));
        if (settings.grammar() != null && settings.grammar().cost() > maxTokens) {
            throw ApiException.invalid("max_tokens", "The response format needs at least " + settings.grammar().cost()
                    + " tokens; max_tokens allows " + maxTokens + ".");
        }
        boolean stream = f.bool("stream").orElse(false);
        boolean includeUsage = f.object("stream_options").flatMap(o -> o.bool("include_usage")).orElse(false);
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        try (Run run = Generation.start(model, List.of(prompt), n, settings, runtime.endOfTurnTokens())) {
            Reply reply = new Reply(id, created, model.id(), n, runtime, active,
                    grounded == null ? null : grounded.citations());
            if (stream) {
                call.startEvents();
                reply.stream(call, run, includeUsage, prompt.length);
            } else {
                Events.pump(call, run, false, reply::collect);
                call.json(200, reply.completion(prompt.length, run.generatedTokens()));
            }
            metrics.tokens(prompt.length, run.generatedTokens());
        }
    }

    /** The prompt: the product's profile, then the conversation, with the tools when there are any. */
    private static String render(ServedModel model, List<ChatMessage> messages, Tools tools) {
        ServedModel.Prompts prompts = model.prompts();
        synchronized (prompts) {
            try {
                ProductPrompt prompt = prompts.of(model.profile(), model.base());
                if (tools == null) {
                    return prompt.render(messages);
                }
                if (prompt.template().source().contains("tools")) {
                    return prompt.template().render(prompt.messages(messages), true, tools.templateVariables());
                }
                return prompt.render(tools.describedIn(messages, model.profile().system()));
            } catch (ChatTemplateException e) {
                throw ApiException.invalid("messages", "The chat template could not render these messages: " + e.getMessage());
            }
        }
    }

    /** What the reply must be: a forced tool call, else the response format, else anything. */
    private static JsonGrammar.Alternatives grammar(Fields f, Tools tools) {
        JsonGrammar.Alternatives format;
        JsonGrammar.Alternatives call;
        try {
            format = responseFormat(f);
            call = tools == null ? null : tools.grammar();
        } catch (JsonSchemaException e) {
            throw ApiException.invalid("response_format", e.getMessage());
        }
        if (call != null && format != null) {
            throw ApiException.invalid("response_format", "A required tool call and a response_format cannot both shape the "
                    + "reply.");
        }
        return call != null ? call : format;
    }

    /** {@code response_format}: text (null), {@code json_object} or {@code json_schema}, as a grammar. */
    static JsonGrammar.Alternatives responseFormat(Fields f) {
        Fields format = f.object("response_format").orElse(null);
        if (format == null) {
            return null;
        }
        String type = format.string("type").orElse("text");
        return switch (type) {
            case "text" -> null;
            case "json_object" -> JsonGrammar.Alternatives.of(JsonGrammar.object());
            case "json_schema" -> {
                Fields spec = format.object("json_schema").orElseThrow(() -> ApiException.invalid("response_format",
                        "'response_format' of type json_schema needs 'json_schema': {\"name\", \"schema\"}."));
                JsonNode schema = spec.get("schema");
                yield JsonGrammar.Alternatives.of(JsonGrammar.of(schema == null ? Json.object().put("type", "object") : schema));
            }
            default -> throw ApiException.invalid("response_format", "'response_format' type must be text, json_object or "
                    + "json_schema, not '" + type + "'.");
        };
    }

    static List<ChatMessage> messages(Fields f) {
        JsonNode array = f.get("messages");
        if (array == null || !array.isArray() || array.isEmpty()) {
            throw ApiException.invalid("messages", "'messages' must be a non-empty array of messages.");
        }
        if (array.size() > MAX_MESSAGES) {
            throw ApiException.invalid("messages", "'messages' may hold at most " + MAX_MESSAGES + " messages.");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            out.add(message(array.get(i), "messages[" + i + "]"));
        }
        return out;
    }

    private static ChatMessage message(JsonNode node, String where) {
        if (!node.isObject()) {
            throw ApiException.invalid(where, where + " must be an object with 'role' and 'content'.");
        }
        JsonNode role = node.get("role");
        if (role == null || !role.isTextual() || !ROLES.contains(role.textValue())) {
            throw ApiException.invalid(where + ".role", where + ".role must be one of " + ROLES + ".");
        }
        String r = role.textValue().equals("developer") ? "system" : role.textValue();
        String content = content(node.get("content"), where + ".content");
        JsonNode toolCalls = node.get("tool_calls");
        if (r.equals("assistant") && toolCalls != null && toolCalls.isArray() && !toolCalls.isEmpty()) {
            content = (content.isEmpty() ? "" : content + "\n") + Tools.asText(toolCalls);
        }
        return new ChatMessage(r, content);
    }

    /** A string, or an array of text parts. */
    private static String content(JsonNode content, String where) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        if (!content.isArray()) {
            throw ApiException.invalid(where, where + " must be a string or an array of content parts.");
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            JsonNode type = part.get("type");
            JsonNode value = part.get("text");
            if (type == null || !"text".equals(type.asText()) || value == null || !value.isTextual()) {
                throw ApiException.invalid(where, where + ": only text parts ({\"type\": \"text\", \"text\": ...}) are supported.");
            }
            text.append(value.textValue());
        }
        return text.toString();
    }

    /** The choices as they come in: streamed as chunks, or gathered into one completion. */
    private static final class Reply {
        private final String id;
        private final long created;
        private final String model;
        private final ModelRuntime runtime;
        private final StringBuilder[] texts;
        private final ArrayNode[] logprobs;
        private final String[] finish;
        private final Tools tools;
        private final List<ObjectNode> citations;
        private boolean includeUsage;
        private Call call;

        /**
         * @param tools     the tools the model may call, or null: then the replies are text
         * @param citations what a knowledge product's reply cites, or null
         */
        Reply(String id, long created, String model, int n, ModelRuntime runtime, Tools tools, List<ObjectNode> citations) {
            this.id = id;
            this.tools = tools;
            this.citations = citations;
            this.created = created;
            this.model = model;
            this.runtime = runtime;
            texts = new StringBuilder[n];
            logprobs = new ArrayNode[n];
            finish = new String[n];
            for (int i = 0; i < n; i++) {
                texts[i] = new StringBuilder();
            }
        }

        void collect(Run.Event event) {
            switch (event) {
                case Run.Token t -> {
                    texts[t.choice()].append(t.text());
                    if (t.logprobs() != null) {
                        logprobsOf(t.choice()).add(Logprobs.chatEntry(runtime.tokenizer(), t.logprobs()));
                    }
                }
                case Run.Finished f -> {
                    texts[f.choice()].append(f.tail());
                    finish[f.choice()] = f.reason().label();
                }
                case Run.Failed f -> throw f.error();
                case Run.PromptScored p -> { }
            }
        }

        private ArrayNode logprobsOf(int choice) {
            if (logprobs[choice] == null) {
                logprobs[choice] = Json.array();
            }
            return logprobs[choice];
        }

        ObjectNode completion(int promptTokens, int completionTokens) {
            ObjectNode body = head("chat.completion");
            ArrayNode choices = body.putArray("choices");
            for (int i = 0; i < texts.length; i++) {
                ObjectNode choice = choices.addObject();
                choice.put("index", i);
                ObjectNode message = choice.putObject("message");
                message.put("role", "assistant");
                String finishReason = message(message, texts[i].toString(), finish[i], false);
                message.putNull("refusal");
                if (logprobs[i] != null) {
                    choice.putObject("logprobs").set("content", logprobs[i]);
                } else {
                    choice.putNull("logprobs");
                }
                choice.put("finish_reason", finishReason);
            }
            body.set("usage", usage(promptTokens, completionTokens));
            return body;
        }

        /**
         * Puts a reply's text, or with tools its text and calls, into {@code message} (a whole
         * message, or a stream's delta, whose calls carry their index); returns the finish reason.
         */
        private String message(ObjectNode message, String text, String finishReason, boolean delta) {
            if (citations != null) {
                message.putArray("citations").addAll(citations);
            }
            if (tools == null) {
                message.put("content", text);
                return finishReason;
            }
            Tools.Reply reply = tools.split(text);
            message.put("content", reply.content());
            if (reply.calls().isEmpty()) {
                return finishReason;
            }
            ArrayNode calls = message.putArray("tool_calls");
            for (int i = 0; i < reply.calls().size(); i++) {
                ObjectNode call = calls.addObject();
                if (delta) {
                    call.put("index", i);
                }
                call.put("id", "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24));
                call.put("type", "function");
                call.putObject("function").put("name", reply.calls().get(i).name())
                        .put("arguments", reply.calls().get(i).arguments());
            }
            return "tool_calls";
        }

        void stream(Call streamCall, Run run, boolean usage, int promptTokens) throws IOException, InterruptedException {
            this.call = streamCall;
            this.includeUsage = usage;
            for (int i = 0; i < texts.length; i++) {
                ObjectNode delta = Json.object();
                delta.put("role", "assistant");
                delta.put("content", "");
                call.event(chunk(i, delta, null, null));
            }
            Events.pump(call, run, true, this::streamEvent);
            if (includeUsage) {
                ObjectNode last = head("chat.completion.chunk");
                last.putArray("choices");
                last.set("usage", usage(promptTokens, run.generatedTokens()));
                call.event(last);
            }
            call.eventDone();
        }

        private void streamEvent(Run.Event event) throws IOException {
            switch (event) {
                case Run.Token t -> {
                    if (tools != null) {
                        texts[t.choice()].append(t.text());
                    } else if (!t.text().isEmpty() || t.logprobs() != null) {
                        ObjectNode lp = null;
                        if (t.logprobs() != null) {
                            lp = Json.object();
                            lp.putArray("content").add(Logprobs.chatEntry(runtime.tokenizer(), t.logprobs()));
                        }
                        call.event(chunk(t.choice(), contentDelta(t.text()), lp, null));
                    }
                }
                case Run.Finished f -> {
                    String finishReason = f.reason().label();
                    if (tools != null) {
                        ObjectNode delta = Json.object();
                        finishReason = message(delta, texts[f.choice()].append(f.tail()).toString(), finishReason, true);
                        call.event(chunk(f.choice(), delta, null, null));
                    } else if (!f.tail().isEmpty()) {
                        call.event(chunk(f.choice(), contentDelta(f.tail()), null, null));
                    }
                    ObjectNode last = Json.object();
                    if (citations != null && tools == null) {
                        last.putArray("citations").addAll(citations);
                    }
                    call.event(chunk(f.choice(), last, null, finishReason));
                }
                case Run.Failed f -> call.event(Call.errorBody(f.error()));
                case Run.PromptScored p -> { }
            }
        }

        private static ObjectNode contentDelta(String text) {
            ObjectNode delta = Json.object();
            delta.put("content", text);
            return delta;
        }

        private ObjectNode chunk(int index, ObjectNode delta, ObjectNode logprobsNode, String finishReason) {
            ObjectNode body = head("chat.completion.chunk");
            ObjectNode choice = body.putArray("choices").addObject();
            choice.put("index", index);
            choice.set("delta", delta);
            choice.set("logprobs", logprobsNode);
            choice.put("finish_reason", finishReason);
            if (includeUsage) {
                body.putNull("usage");
            }
            return body;
        }

        private ObjectNode head(String object) {
            ObjectNode body = Json.object();
            body.put("id", id);
            body.put("object", object);
            body.put("created", created);
            body.put("model", model);
            body.put("system_fingerprint", "plinth");
            return body;
        }
    }

    static ObjectNode usage(int promptTokens, int completionTokens) {
        ObjectNode usage = Json.object();
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        return usage;
    }
}

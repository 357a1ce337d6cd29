package dev.plinth.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.model.json.JsonGrammar;
import dev.plinth.text.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenAI function tools in a chat request: given to the chat template as its {@code tools}
 * variable (templates that do not render tools get them described in the system message), then
 * either forced by a grammar ({@code tool_choice} {@code required} or a named function: the reply
 * is {@code {"name": ..., "arguments": {...}}} with the function's parameters schema) or, with
 * {@code auto}, parsed from the reply: {@code <tool_call>{...}</tool_call>} blocks (Hermes, Qwen)
 * or a reply that is one such JSON object (Llama 3.1 calls its arguments {@code parameters}).
 */
final class Tools {

    private static final Pattern TAGGED = Pattern.compile("<tool_call>\\s*(\\{.*?})\\s*</tool_call>", Pattern.DOTALL);
    private static final int MAX_TOOLS = 128;

    /** One function the model may call. */
    record Function(String name, JsonNode parameters) {
    }

    /** A call the model made: the function's name and its arguments as JSON text. */
    record Call(String name, String arguments) {
    }

    /** A reply split into text and calls. */
    record Reply(String content, List<Call> calls) {
    }

    private final List<Function> functions;
    private final List<Map<String, Object>> asTemplateValue;
    private final String choice;
    private final String forced;

    private Tools(List<Function> functions, List<Map<String, Object>> asTemplateValue, String choice, String forced) {
        this.functions = functions;
        this.asTemplateValue = asTemplateValue;
        this.choice = choice;
        this.forced = forced;
    }

    /** The request's tools, or null when it has none. */
    static Tools parse(Fields f) {
        JsonNode tools = f.get("tools");
        if (tools == null) {
            if (f.has("tool_choice")) {
                throw ApiException.invalid("tool_choice", "'tool_choice' needs 'tools'.");
            }
            return null;
        }
        if (!tools.isArray() || tools.isEmpty() || tools.size() > MAX_TOOLS) {
            throw ApiException.invalid("tools", "'tools' must be an array of 1 to " + MAX_TOOLS + " tools.");
        }
        List<Function> functions = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            functions.add(function(tools.get(i), "tools[" + i + "]"));
        }
        String choice = "auto";
        String forced = null;
        JsonNode c = f.get("tool_choice");
        if (c != null && c.isTextual() && List.of("none", "auto", "required").contains(c.textValue())) {
            choice = c.textValue();
        } else if (c != null && c.isObject() && c.path("function").path("name").isTextual()) {
            forced = c.path("function").path("name").textValue();
            choice = "required";
            String name = forced;
            if (functions.stream().noneMatch(fn -> fn.name().equals(name))) {
                throw ApiException.invalid("tool_choice", "'tool_choice' names '" + forced + "', which is not among the tools.");
            }
        } else if (c != null) {
            throw ApiException.invalid("tool_choice", "'tool_choice' must be none, auto, required or {\"type\": \"function\", "
                    + "\"function\": {\"name\": ...}}.");
        }
        List<Map<String, Object>> value = Json.MAPPER.convertValue(tools, new TypeReference<>() { });
        return new Tools(List.copyOf(functions), value, choice, forced);
    }

    private static Function function(JsonNode tool, String where) {
        JsonNode fn = tool.path("function");
        if (!tool.isObject() || !"function".equals(tool.path("type").asText()) || !fn.path("name").isTextual()) {
            throw ApiException.invalid("tools", where + " must be {\"type\": \"function\", \"function\": {\"name\", "
                    + "\"parameters\"}}.");
        }
        JsonNode parameters = fn.get("parameters");
        return new Function(fn.path("name").textValue(), parameters == null || parameters.isNull() ? null : parameters);
    }

    /** Whether the model may or must call a tool ({@code tool_choice} other than none). */
    boolean active() {
        return !choice.equals("none");
    }

    /** The template variables that give the tools to a chat template. */
    Map<String, Object> templateVariables() {
        return Map.of("tools", asTemplateValue);
    }

    /** The conversation with the tools described in its system message, for templates that do not render tools. */
    List<ChatMessage> describedIn(List<ChatMessage> conversation, String productSystem) {
        String description = "You can call these functions. To call one, reply with only a JSON object "
                + "{\"name\": <function name>, \"arguments\": <arguments object>}.\n" + Json.write(Json.MAPPER.valueToTree(asTemplateValue));
        List<ChatMessage> out = new ArrayList<>();
        if (!conversation.isEmpty() && conversation.getFirst().role().equals("system")) {
            out.add(ChatMessage.system(conversation.getFirst().content() + "\n\n" + description));
            out.addAll(conversation.subList(1, conversation.size()));
        } else {
            out.add(ChatMessage.system((productSystem == null ? "" : productSystem + "\n\n") + description));
            out.addAll(conversation);
        }
        return out;
    }

    /** The grammar of a forced call (one of the functions, or the named one), or null when the model chooses. */
    JsonGrammar.Alternatives grammar() {
        if (!choice.equals("required")) {
            return null;
        }
        List<JsonGrammar.State> calls = new ArrayList<>();
        for (Function fn : functions) {
            if (forced != null && !forced.equals(fn.name())) {
                continue;
            }
            ObjectNode schema = Json.object().put("type", "object");
            ObjectNode properties = schema.putObject("properties");
            properties.putObject("name").put("const", fn.name());
            properties.set("arguments", fn.parameters() == null ? Json.object().put("type", "object") : fn.parameters());
            calls.add(JsonGrammar.of(schema));
        }
        return new JsonGrammar.Alternatives(calls);
    }

    /** The calls in a reply, and the text around them (null when there is none). */
    Reply split(String text) {
        List<Call> calls = new ArrayList<>();
        Matcher m = TAGGED.matcher(text);
        StringBuilder rest = new StringBuilder();
        int last = 0;
        while (m.find()) {
            Call call = call(m.group(1));
            if (call != null) {
                calls.add(call);
                rest.append(text, last, m.start());
                last = m.end();
            }
        }
        rest.append(text.substring(last));
        if (calls.isEmpty()) {
            Call whole = call(text.strip());
            if (whole != null) {
                return new Reply(null, List.of(whole));
            }
        }
        String content = rest.toString().strip();
        return new Reply(calls.isEmpty() ? text : content.isEmpty() ? null : content, calls);
    }

    /** {@code {"name": ..., "arguments"|"parameters": {...}}} naming one of the functions, else null. */
    private Call call(String json) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            return null;
        }
        if (node == null || !node.isObject() || !node.path("name").isTextual()) {
            return null;
        }
        String name = node.path("name").textValue();
        if (functions.stream().noneMatch(fn -> fn.name().equals(name))) {
            return null;
        }
        JsonNode arguments = node.has("arguments") ? node.get("arguments") : node.path("parameters");
        String text = arguments.isTextual() ? arguments.textValue() : Json.write(arguments.isMissingNode() ? Json.object() : arguments);
        return new Call(name, text);
    }

    /** An assistant turn's {@code tool_calls}, written as the Hermes-style text the model would have written. */
    static String asText(JsonNode toolCalls) {
        StringBuilder text = new StringBuilder();
        for (JsonNode call : toolCalls) {
            JsonNode fn = call.path("function");
            ObjectNode written = Json.object();
            written.put("name", fn.path("name").asText());
            JsonNode arguments = fn.path("arguments");
            try {
                written.set("arguments", arguments.isTextual() ? Json.MAPPER.readTree(arguments.textValue()) : arguments);
            } catch (JsonProcessingException e) {
                written.put("arguments", arguments.asText());
            }
            text.append(text.isEmpty() ? "" : "\n").append("<tool_call>\n").append(Json.write(written)).append("\n</tool_call>");
        }
        return text.toString();
    }
}

package dev.plinth.text.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.model.ModelRuntime;
import dev.plinth.text.ChatMessage;
import dev.plinth.text.ChatMl;
import dev.plinth.text.Tokenizer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's chat template: the Jinja program (GGUF {@code tokenizer.chat_template}, or
 * {@code chat_template} in {@code tokenizer_config.json}) that turns a conversation into the
 * prompt text the model was trained on, rendered the way Hugging Face transformers does.
 *
 * <p>The common case is one line:
 * <pre>{@code
 * String prompt = ChatTemplate.fromGguf(gguf).render(messages, true);       // a GGUF model
 * String prompt = ChatTemplate.orDefault(templateOrNull, bos, eos).render(messages, true);
 * }</pre>
 *
 * <p>Variables given to the template, as in transformers' {@code apply_chat_template}:
 * {@code messages} (a list of {@code {role, content}} mappings), {@code add_generation_prompt},
 * {@code bos_token}, {@code eos_token}, {@code tools} and {@code documents} (both none), plus
 * any {@code extraVariables} (for example {@code enable_thinking} or {@code date_string}), which
 * override the defaults. Jinja is configured like transformers' environment
 * ({@code trim_blocks}, {@code lstrip_blocks}), with its extensions: {@code raise_exception},
 * {@code strftime_now}, {@code tojson} in Python's layout, Python string methods and the
 * {@code generation} block. A render either returns the exact text or throws
 * {@link ChatTemplateException}; it never returns output it could not compute.
 *
 * <p>Known differences from Jinja2 that remain (Jinjava's, not fixed here): {@code +} with an
 * undefined or none operand raises as in Jinja2 only when that operand is a plain name chain
 * ({@code a.b[0]}), otherwise Jinjava concatenates {@code "null"}; other arithmetic treats none as
 * 0; printing a boolean or
 * none gives {@code true}/{@code ""} where Jinja2 gives {@code True}/{@code None}; a method called
 * on an undefined value gives nothing where Jinja2 raises; looping over none loops zero times
 * where Jinja2 raises (tool-use templates with tools=None); slice steps other than {@code [::-1]}
 * and {@code %} string formatting are rejected.
 */
public final class ChatTemplate {
    /** Rendered text larger than this is refused (a template looping on itself, not a prompt). */
    private static final long MAX_OUTPUT_CHARS = 64L << 20;

    private static final Jinjava JINJAVA = newEngine();

    private final String source;
    private final String prepared;
    private final String bosToken;
    private final String eosToken;
    private final boolean fallback;
    private final Clock clock;

    private ChatTemplate(String source, String bosToken, String eosToken, boolean fallback, Clock clock) {
        this.source = Objects.requireNonNull(source, "template");
        this.prepared = TemplateSource.prepare(source, JINJAVA.getGlobalContext());
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.fallback = fallback;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * A chat template from its Jinja source and the model's special tokens (null counts as "").
     *
     * @throws ChatTemplateException when the template uses a test or a filter block that is not supported
     *                               (unknown filters fail when applied, as in Jinja2)
     */
    public static ChatTemplate of(String template, String bosToken, String eosToken) {
        return new ChatTemplate(template, bosToken, eosToken, false, Clock.systemDefaultZone());
    }

    /**
     * The model's template, or {@link ChatMl#TEMPLATE} (as llama.cpp and transformers use when nothing
     * better is known) marked as {@linkplain #isFallback() a fallback}
     * when the model has none ({@code template} null or blank).
     */
    public static ChatTemplate orDefault(String template, String bosToken, String eosToken) {
        if (template == null || template.isBlank()) {
            return new ChatTemplate(ChatMl.TEMPLATE, bosToken, eosToken, true, Clock.systemDefaultZone());
        }
        return of(template, bosToken, eosToken);
    }

    /**
     * The template of a runtime's model with its tokenizer's BOS and EOS pieces, or ChatML marked
     * as {@linkplain #isFallback() a fallback} when the model carries none.
     */
    public static ChatTemplate of(ModelRuntime runtime) {
        Tokenizer tok = runtime.tokenizer();
        String bos = tok.bosId() >= 0 ? tok.piece(tok.bosId()) : "";
        String eos = tok.eosId() >= 0 ? tok.piece(tok.eosId()) : "";
        return orDefault(runtime.chatTemplate().orElse(null), bos, eos);
    }

    /**
     * From the {@code chat_template} value of {@code tokenizer_config.json} as parsed JSON: either
     * a string, or a list of {@code {"name": ..., "template": ...}} objects, of which the one named
     * {@code default} is used. Null falls back to ChatML like {@link #orDefault}.
     *
     * @throws ChatTemplateException when the value has another shape or the list has no default
     */
    public static ChatTemplate fromConfigValue(Object chatTemplate, String bosToken, String eosToken) {
        if (chatTemplate == null || chatTemplate instanceof String) {
            return orDefault((String) chatTemplate, bosToken, eosToken);
        }
        if (chatTemplate instanceof List<?> named) {
            List<String> names = new ArrayList<>();
            for (Object entry : named) {
                if (entry instanceof Map<?, ?> map && map.get("name") instanceof String name
                        && map.get("template") instanceof String template) {
                    if (name.equals("default")) {
                        return of(template, bosToken, eosToken);
                    }
                    names.add(name);
                } else {
                    throw new ChatTemplateException(ChatTemplateException.Kind.ERROR,
                            "chat_template list entries must be {\"name\": string, \"template\": string}", -1);
                }
            }
            throw new ChatTemplateException(ChatTemplateException.Kind.ERROR,
                    "chat_template list has no template named 'default' (names: " + names + ")", -1);
        }
        throw new ChatTemplateException(ChatTemplateException.Kind.ERROR,
                "chat_template must be a string or a list of named templates, not "
                        + chatTemplate.getClass().getSimpleName(), -1);
    }

    /**
     * The chat template of a GGUF model: {@code tokenizer.chat_template}, with bos/eos taken from
     * {@code tokenizer.ggml.tokens} at {@code tokenizer.ggml.bos_token_id} / {@code eos_token_id}
     * (empty when absent or out of range); {@link ChatMl#TEMPLATE} as a marked fallback when the file has
     * no template.
     */
    public static ChatTemplate fromGguf(GgufFile gguf) {
        List<Object> tokens = gguf.getArray("tokenizer.ggml.tokens");
        return orDefault(gguf.getString("tokenizer.chat_template", null),
                token(tokens, gguf.getLong("tokenizer.ggml.bos_token_id", -1)),
                token(tokens, gguf.getLong("tokenizer.ggml.eos_token_id", -1)));
    }

    private static String token(List<Object> tokens, long id) {
        return id >= 0 && id < tokens.size() && tokens.get((int) id) instanceof String s ? s : "";
    }

    /** The same template reading {@code strftime_now} from {@code clock} (for reproducible renders). */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(source, bosToken, eosToken, fallback, clock);
    }

    /** True when the model had no template and {@link ChatMl#TEMPLATE} stands in for it. */
    public boolean isFallback() {
        return fallback;
    }

    /** The {@code bos_token} the template sees. */
    public String bosToken() {
        return bosToken;
    }

    /** The {@code eos_token} the template sees. */
    public String eosToken() {
        return eosToken;
    }

    /** The Jinja source. */
    public String source() {
        return source;
    }

    /** {@link #render(List, boolean, Map)} without extra variables. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * Renders the conversation.
     *
     * @param messages            the conversation so far
     * @param addGenerationPrompt append the text that opens the assistant's next turn
     * @param extraVariables      further template variables; they override the defaults
     * @throws ChatTemplateException when the template raises, or uses what is not supported
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> extraVariables) {
        Map<String, Object> variables = new HashMap<>();
        variables.put("messages", asMaps(messages));
        variables.put("add_generation_prompt", addGenerationPrompt);
        variables.put("bos_token", bosToken);
        variables.put("eos_token", eosToken);
        variables.put("tools", null);
        variables.put("documents", null);
        // Templates test "strftime_now is defined" before calling it; Jinjava keeps functions
        // apart from variables, so the names are defined as variables too.
        variables.put("strftime_now", "<function strftime_now>");
        variables.put("raise_exception", "<function raise_exception>");
        variables.putAll(extraVariables);
        RenderResult result;
        Clock previous = TemplateExtensions.CLOCK.get();
        TemplateExtensions.CLOCK.set(clock);
        try {
            result = JINJAVA.renderForResult(prepared, variables);
        } catch (RuntimeException e) {
            throw TemplateErrors.fromThrown(e);
        } finally {
            TemplateExtensions.CLOCK.set(previous);
        }
        for (TemplateError error : result.getErrors()) {
            if (TemplateErrors.isFailure(error)) {
                throw TemplateErrors.toException(error);
            }
        }
        return result.getOutput();
    }

    private static List<Map<String, Object>> asMaps(List<ChatMessage> messages) {
        List<Map<String, Object>> maps = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            maps.add(map);
        }
        return maps;
    }

    private static Jinjava newEngine() {
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withFailOnUnknownTokens(false)
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .withEnableRecursiveMacroCalls(true)
                .withMaxMacroRecursionDepth(64)
                .withElResolver(PythonMethodResolver.chain())
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUsePyishObjectMapper(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        // {{- x }} and {#- #} strip like Jinja2 (without it only block tags do)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        Jinjava jinjava = new Jinjava(config);
        TemplateExtensions.functions().forEach(jinjava.getGlobalContext()::registerFunction);
        TemplateExtensions.filters().forEach(jinjava.getGlobalContext()::registerFilter);
        TemplateExtensions.tags().forEach(jinjava.getGlobalContext()::registerTag);
        return jinjava;
    }
}

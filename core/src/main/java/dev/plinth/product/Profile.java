package dev.plinth.product;

import dev.plinth.text.ChatMessage;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a product talks: a system prompt, few-shot turns, a chat template that replaces the base's,
 * and generation parameters. Any part may be absent (null, empty).
 *
 * @param system         the system prompt, or null
 * @param messages       few-shot turns, rendered after the system prompt and before the conversation
 * @param template       a chat template, or null for the base's own
 * @param templateSyntax {@link #JINJA} (used when the product runs) or {@link #GO} (an Ollama
 *                       template, kept as text: Plinth runs such a product with the GGUF's
 *                       {@code tokenizer.chat_template})
 * @param parameters     generation defaults
 */
public record Profile(String system, List<ChatMessage> messages, String template, String templateSyntax,
                      Parameters parameters) {

    public static final String JINJA = "jinja";
    public static final String GO = "go";

    public static final Profile NONE = new Profile(null, List.of(), null, JINJA, Parameters.NONE);

    public Profile {
        messages = List.copyOf(messages);
        templateSyntax = templateSyntax == null ? JINJA : templateSyntax;
        Objects.requireNonNull(parameters, "parameters");
    }

    /** The template to render prompts with: the product's Jinja template, if it has one. */
    public Optional<String> jinjaTemplate() {
        return template != null && templateSyntax.equals(JINJA) ? Optional.of(template) : Optional.empty();
    }

    /** Whether prompts are shaped by this profile (a system prompt, few-shot turns or a template). */
    public boolean shapesPrompts() {
        return system != null || !messages.isEmpty() || jinjaTemplate().isPresent();
    }

    /**
     * This profile (a parent product's) under {@code child}'s: what the child sets wins (its few-shot
     * turns replace these when it has any; parameters are merged key by key).
     */
    public Profile overriddenBy(Profile child) {
        return new Profile(child.system != null ? child.system : system,
                child.messages.isEmpty() ? messages : child.messages,
                child.template != null ? child.template : template,
                child.template != null ? child.templateSyntax : templateSyntax,
                parameters.overriddenBy(child.parameters));
    }
}

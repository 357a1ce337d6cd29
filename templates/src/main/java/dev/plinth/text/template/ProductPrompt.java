package dev.plinth.text.template;

import dev.plinth.model.ModelRuntime;
import dev.plinth.product.Profile;
import dev.plinth.text.ChatMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * How a product's conversations become prompts: its system prompt and few-shot turns come before
 * the conversation, and the whole is rendered with the product's Jinja {@code TEMPLATE}, else the
 * base's chat template (ChatML, marked as a fallback, when the base has none). An Ollama Go
 * template kept with an imported product is not rendered: the base's template is used.
 *
 * <pre>{@code
 * ProductPrompt prompt = ProductPrompt.of(product.profile(), runtime);
 * int[] ids = runtime.encodeRendered(prompt.render(List.of(ChatMessage.user("What is a noun?"))));
 * }</pre>
 */
public final class ProductPrompt {

    private final Profile profile;
    private final ChatTemplate template;

    private ProductPrompt(Profile profile, ChatTemplate template) {
        this.profile = profile;
        this.template = template;
    }

    /** The prompts of {@code profile} on the base {@code runtime} has open. */
    public static ProductPrompt of(Profile profile, ModelRuntime runtime) {
        ChatTemplate base = ChatTemplate.of(runtime);
        ChatTemplate own = profile.jinjaTemplate().map(t -> ChatTemplate.of(t, base.bosToken(), base.eosToken())).orElse(base);
        return new ProductPrompt(profile, own);
    }

    /** The template prompts are rendered with. */
    public ChatTemplate template() {
        return template;
    }

    /**
     * The messages rendered for {@code conversation}: a system message (the conversation's own
     * first message when it is one, else the profile's), the few-shot turns, then the rest of the
     * conversation.
     */
    public List<ChatMessage> messages(List<ChatMessage> conversation) {
        List<ChatMessage> all = new ArrayList<>();
        List<ChatMessage> rest = conversation;
        if (!conversation.isEmpty() && conversation.getFirst().role().equals("system")) {
            all.add(conversation.getFirst());
            rest = conversation.subList(1, conversation.size());
        } else if (profile.system() != null) {
            all.add(ChatMessage.system(profile.system()));
        }
        all.addAll(profile.messages());
        all.addAll(rest);
        return all;
    }

    /** The prompt for the model's next turn in {@code conversation} (with the generation prompt). */
    public String render(List<ChatMessage> conversation) {
        return template.render(messages(conversation), true);
    }
}

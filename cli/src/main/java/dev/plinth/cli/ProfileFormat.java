package dev.plinth.cli;

import dev.plinth.eval.PromptFormat;
import dev.plinth.model.ModelRuntime;
import dev.plinth.product.Product;
import dev.plinth.product.Profile;
import dev.plinth.text.ChatMessage;
import dev.plinth.text.template.ProductPrompt;
import java.io.IOException;
import java.util.List;

/**
 * How a product's profile shapes what an evaluation shows its model: a product with a system
 * prompt, few-shot turns or a template sees each context as a user turn after them, rendered with
 * its template and the generation prompt ({@link PromptFormat}); a model file or a product without
 * a profile sees contexts as they are.
 */
final class ProfileFormat implements PromptFormat {

    private final ProductPrompt prompt;

    private ProfileFormat(ProductPrompt prompt) {
        this.prompt = prompt;
    }

    static PromptFormat of(Product product, ModelRuntime runtime) throws IOException {
        if (product == null) {
            return PromptFormat.RAW;
        }
        Profile profile = product.profile();
        return profile.shapesPrompts() ? new ProfileFormat(ProductPrompt.of(profile, runtime)) : PromptFormat.RAW;
    }

    @Override
    public String render(String context) {
        return prompt.render(List.of(ChatMessage.user(context)));
    }

    @Override
    public boolean chat() {
        return true;
    }
}

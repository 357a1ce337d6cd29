package dev.plinth.server;

import dev.plinth.api.TextEmbedder;
import dev.plinth.model.AppliedAdapter;
import dev.plinth.product.Profile;
import dev.plinth.text.template.ProductPrompt;
import java.util.List;

/**
 * A model the API serves: a product of the store, or a model file given on the command line (a
 * product of its own, with no profile). A decoder runs on its {@link DecoderBase} (shared with every
 * product on the same weights) with its own adapters; an encoder answers {@code /v1/embeddings}.
 *
 * @param id      the model id clients send ({@code name:tag} for products)
 * @param digest  the product's manifest digest, or the file's path: a change means "reload"
 * @param parent  the product it was created FROM, or null for a base
 * @param root    the base's weights ({@code sha256:...}, or the file's path)
 * @param created seconds since the epoch
 * @param knowledge what grounds its chats in retrieved passages, or null
 */
record ServedModel(String id, String digest, String parent, String root, long created, Profile profile,
                   List<AppliedAdapter> adapters, DecoderBase base, TextEmbedder encoder, Prompts prompts,
                   Knowledge knowledge) {

    ServedModel {
        adapters = List.copyOf(adapters);
    }

    boolean isDecoder() {
        return base != null;
    }

    /** Renders chat prompts with the product's profile, built on first use and shared by requests. */
    static final class Prompts {
        private ProductPrompt prompt;

        synchronized ProductPrompt of(Profile profile, DecoderBase base) {
            if (prompt == null) {
                prompt = ProductPrompt.of(profile, base.runtime());
            }
            return prompt;
        }
    }
}

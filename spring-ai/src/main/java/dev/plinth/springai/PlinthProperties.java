package dev.plinth.springai;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code plinth.*} properties of the auto-configuration.
 *
 * @param product  the product to open ({@code NAME[:TAG]}): a {@code ChatModel} bean chats with it
 * @param home     the product store (default: {@code PLINTH_HOME}, else {@code ~/.plinth})
 * @param embedder {@code builtin} for the bundled all-MiniLM-L6-v2, or a BERT model path: an {@code EmbeddingModel} bean
 */
@ConfigurationProperties("plinth")
public record PlinthProperties(String product, String home, String embedder) {

    /** The value of {@code plinth.embedder} that names the bundled all-MiniLM-L6-v2. */
    public static final String BUILTIN_EMBEDDER = "builtin";
}

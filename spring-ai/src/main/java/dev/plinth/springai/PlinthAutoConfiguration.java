package dev.plinth.springai;

import dev.plinth.api.LanguageModel;
import dev.plinth.api.TextEmbedder;
import dev.plinth.api.knowledge.Knowledge;
import dev.plinth.product.Store;
import java.io.IOException;
import java.nio.file.Path;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.embedding.EmbeddingModel;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Spring Boot auto-configuration: {@code plinth.product=NAME} opens that product from the store
 * ({@code plinth.home}, default {@code PLINTH_HOME}) as a {@link LanguageModel} bean (closed with
 * the context) and a {@link ChatModel} bean over it; {@code plinth.embedder=builtin} (or a BERT
 * model path) gives an {@link EmbeddingModel} bean. Beans the application defines itself win.
 */
@AutoConfiguration
@EnableConfigurationProperties(PlinthProperties.class)
public class PlinthAutoConfiguration {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = "plinth", name = "product")
    static class ProductChat {

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean
        LanguageModel plinthLanguageModel(PlinthProperties properties) throws IOException {
            Path home = properties.home() != null ? Path.of(properties.home()) : Store.defaultRoot(System.getenv());
            return LanguageModel.openProduct(home, properties.product());
        }

        @Bean
        @ConditionalOnMissingBean(ChatModel.class)
        PlinthChatModel plinthChatModel(LanguageModel model) {
            return new PlinthChatModel(model);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = "plinth", name = "embedder")
    static class Embeddings {

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean
        TextEmbedder plinthTextEmbedder(PlinthProperties properties) throws IOException {
            return PlinthProperties.BUILTIN_EMBEDDER.equals(properties.embedder()) ? Knowledge.defaultEmbedder()
                    : TextEmbedder.open(Path.of(properties.embedder()));
        }

        @Bean
        @ConditionalOnMissingBean(EmbeddingModel.class)
        PlinthEmbeddingModel plinthEmbeddingModel(TextEmbedder embedder) {
            return new PlinthEmbeddingModel(embedder);
        }
    }
}

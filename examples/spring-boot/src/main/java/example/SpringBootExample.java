package example;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.embedding.EmbeddingModel;
import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** A Spring Boot application whose ChatModel is the Plinth product named by plinth.product, in process. */
@SpringBootApplication
public class SpringBootExample {

    public static void main(String[] args) {
        SpringApplication.run(SpringBootExample.class, args).close();
    }

    @Bean
    CommandLineRunner ask(ChatModel chatModel, EmbeddingModel embeddings) {
        return args -> {
            ChatClient client = ChatClient.create(chatModel);
            String question = args.length > 0 ? String.join(" ", args) : "meadow";
            System.out.println("answer: " + client.prompt().user(question).call().content());
            System.out.println("embedding dimensions: " + embeddings.embed(question).length);
        };
    }
}

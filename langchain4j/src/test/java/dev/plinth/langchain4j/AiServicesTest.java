package dev.plinth.langchain4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.rag.content.Content;
import dev.langchain4j.rag.content.retriever.EmbeddingStoreContentRetriever;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.plinth.api.GenerateOptions;
import dev.plinth.api.LanguageModel;
import dev.plinth.api.TextEmbedder;
import dev.plinth.api.chat.Chat;
import dev.plinth.api.knowledge.Knowledge;
import dev.plinth.product.Fixtures;
import dev.plinth.product.Store;
import dev.plinth.text.ChatMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LangChain4j's own usage patterns on a Plinth product in process: an AiServices interface with a
 * system message, streaming through a TokenStream, structured output into a record, and RAG over a
 * Plinth knowledge base (as a content retriever, and as an embedding store with LangChain4j's own
 * retriever). The product is the tiny Llama 2 test model with a chat template, greedy.
 */
class AiServicesTest {

    private static final String SYSTEM = "Answer in one word.";

    interface Assistant {
        @SystemMessage(SYSTEM)
        String chat(String message);
    }

    interface Streamer {
        @SystemMessage(SYSTEM)
        TokenStream chat(String message);
    }

    enum Mood { HAPPY, SAD }

    record Pet(String name, Mood mood, boolean hungry) {
    }

    interface Extractor {
        Pet extract(String text);
    }

    interface Librarian {
        Result<String> answer(String question);
    }

    @TempDir
    static Path tmp;

    private static LanguageModel tutor;

    @BeforeAll
    static void openProduct() throws Exception {
        Path gguf = Fixtures.tinyLlamaWithTemplate(tmp.resolve("models"));
        Path home = tmp.resolve("home");
        Fixtures.create(Store.open(home), tmp, "tutor", "FROM " + gguf + "\nPARAMETER temperature 0\nPARAMETER max_tokens 16\n");
        tutor = LanguageModel.openProduct(home, "tutor");
    }

    @AfterAll
    static void close() {
        if (tutor != null) {
            tutor.close();
        }
    }

    @Test
    void anAiServiceWithASystemMessageRepliesAsPlinthsChat() {
        Assistant assistant = AiServices.create(Assistant.class, new PlinthChatModel(tutor));
        String expected = Chat.of(tutor).reply(List.of(ChatMessage.system(SYSTEM), ChatMessage.user("What is a noun?")),
                GenerateOptions.defaults()).text();
        assertEquals(expected, assistant.chat("What is a noun?"));
    }

    @Test
    void aChatRequestsParametersOverrideTheProducts() {
        PlinthChatModel model = new PlinthChatModel(tutor);
        ChatResponse r = model.chat(ChatRequest.builder().messages(dev.langchain4j.data.message.UserMessage.from("Hi"))
                .maxOutputTokens(3).temperature(0.0).build());
        assertEquals(3, r.tokenUsage().outputTokenCount());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals("tutor:latest", r.modelName());
        assertTrue(r.tokenUsage().inputTokenCount() > 0);
    }

    @Test
    void aTokenStreamStreamsTheSameReply() throws Exception {
        Streamer streamer = AiServices.create(Streamer.class, new PlinthStreamingChatModel(tutor));
        List<String> pieces = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streamer.chat("What is a verb?").onPartialResponse(pieces::add).onCompleteResponse(done::complete)
                .onError(done::completeExceptionally).start();
        ChatResponse response = done.get(60, TimeUnit.SECONDS);
        assertTrue(pieces.size() > 1, "pieces: " + pieces);
        assertEquals(response.aiMessage().text(), String.join("", pieces));
        assertEquals(AiServices.create(Assistant.class, new PlinthChatModel(tutor)).chat("What is a verb?"),
                response.aiMessage().text());
    }

    @Test
    void structuredOutputIsValidJsonForTheRecord() throws Exception {
        Extractor extractor = AiServices.create(Extractor.class, new PlinthChatModel(tutor, GenerateOptions.defaults()
                .withMaxTokens(60)));
        Pet pet = extractor.extract("Rex is a happy dog who has just eaten.");
        assertNotNull(pet.name());
        assertNotNull(pet.mood());
        ChatResponse raw = new PlinthChatModel(tutor).chat(ChatRequest.builder()
                .messages(dev.langchain4j.data.message.UserMessage.from("A pet?")).maxOutputTokens(60)
                .responseFormat(ResponseFormat.JSON).build());
        JsonNode node = new ObjectMapper().readTree(raw.aiMessage().text());
        assertTrue(node.isObject(), raw.aiMessage().text());
    }

    @Test
    void ragOverAPlinthKnowledgeBase() throws Exception {
        Path docs = Files.createDirectories(tmp.resolve("docs"));
        Files.writeString(docs.resolve("visiting.txt"), """
                Visiting hours on the wards are from two to eight in the afternoon and evening.

                Quiet hours run from nine in the evening to seven in the morning; phones go silent.
                """);
        Files.writeString(docs.resolve("parking.md"), "# Parking\n\nThe car park by the east entrance is free on Sundays.\n");
        try (Knowledge kb = Knowledge.create(tmp.resolve("kb"), "hospital", List.of(docs));
             TextEmbedder minilm = Knowledge.defaultEmbedder()) {
            Librarian hybrid = AiServices.builder(Librarian.class).chatModel(new PlinthChatModel(tutor))
                    .contentRetriever(new PlinthContentRetriever(kb, 1)).build();
            Result<String> answer = hybrid.answer("When are the quiet hours?");
            assertEquals(1, answer.sources().size());
            Content source = answer.sources().getFirst();
            assertTrue(source.textSegment().text().contains("Quiet hours run from nine"), source.textSegment().text());
            assertTrue(source.textSegment().metadata().getString("path").endsWith("visiting.txt"));

            PlinthEmbeddingModel embeddings = new PlinthEmbeddingModel(minilm);
            assertEquals(384, embeddings.dimension());
            assertArrayEquals(minilm.embed("parking"), embeddings.embed("parking").content().vector());
            PlinthEmbeddingStore store = new PlinthEmbeddingStore(kb);
            Librarian vector = AiServices.builder(Librarian.class).chatModel(new PlinthChatModel(tutor))
                    .contentRetriever(EmbeddingStoreContentRetriever.builder().embeddingStore(store).embeddingModel(embeddings)
                            .maxResults(1).minScore(0.5).build()).build();
            TextSegment found = vector.answer("Where can I park my car for free?").sources().getFirst().textSegment();
            assertTrue(found.text().contains("free on Sundays"), found.text());
            var matches = store.search(EmbeddingSearchRequest.builder().queryEmbedding(embeddings.embed("silent phones").content())
                    .maxResults(2).build()).matches();
            assertEquals(2, matches.size());
            assertTrue(matches.getFirst().score() >= matches.get(1).score() && matches.getFirst().score() <= 1.0);
            assertNull(matches.getFirst().embedding());
            assertThrows(UnsupportedOperationException.class, () -> store.add(embeddings.embed("x").content()));
        }
    }
}

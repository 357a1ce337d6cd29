package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The official openai-java SDK and LangChain4j's OpenAI models, unchanged, against the server. */
class ClientsTest {

    @RegisterExtension
    static final ServerExtension SERVER = new ServerExtension((dir, store) -> TestServers.config(store).withBatching(16, 64, 1024, 256L << 20));

    static String baseUrl() {
        return "http://127.0.0.1:" + SERVER.server().port() + "/v1";
    }

    static OpenAIClient openAi() {
        return OpenAIOkHttpClient.builder().baseUrl(baseUrl()).apiKey("unused").maxRetries(0).build();
    }

    @Test
    void openAiSdkListsModels() {
        List<String> ids = openAi().models().list().data().stream().map(Model::id).toList();
        assertTrue(ids.containsAll(List.of("base:latest", "tutor:latest", "mail:latest", "bert-tiniest")), ids.toString());
    }

    @Test
    void openAiSdkChats() {
        ChatCompletion c = openAi().chat().completions().create(ChatCompletionCreateParams.builder()
                .model("tutor").addUserMessage("Once upon a time").maxCompletionTokens(6).temperature(0.0).seed(1).build());
        assertEquals(1, c.choices().size());
        assertFalse(c.choices().get(0).message().content().orElse("").isEmpty());
        assertTrue(c.usage().orElseThrow().completionTokens() <= 6);
    }

    @Test
    void openAiSdkStreams() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("mail")
                .addUserMessage("Once upon a time").maxCompletionTokens(8).temperature(0.0)
                .streamOptions(com.openai.models.chat.completions.ChatCompletionStreamOptions.builder().includeUsage(true).build())
                .build();
        StringBuilder text = new StringBuilder();
        long[] usage = {-1};
        try (StreamResponse<ChatCompletionChunk> stream = openAi().chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                chunk.choices().forEach(ch -> ch.delta().content().ifPresent(text::append));
                chunk.usage().ifPresent(u -> usage[0] = u.completionTokens());
            });
        }
        String whole = openAi().chat().completions().create(params.toBuilder().streamOptions(java.util.Optional.empty()).build())
                .choices().get(0).message().content().orElse("");
        assertEquals(whole, text.toString());
        assertEquals(8, usage[0]);
    }

    @Test
    void openAiSdkCompletesAndEmbeds() {
        Completion c = openAi().completions().create(CompletionCreateParams.builder().model("base").prompt("Once upon a time")
                .maxTokens(5).temperature(0.0).build());
        assertEquals(1, c.choices().size());
        CreateEmbeddingResponse e = openAi().embeddings().create(EmbeddingCreateParams.builder().model("bert-tiniest")
                .input("a cat sat on the mat").build());
        List<Float> vector = e.data().get(0).embedding();
        double norm = 0;
        for (float v : vector) {
            norm += v * v;
        }
        assertEquals(1.0, norm, 1e-4, "unit length");
    }

    @Test
    void langChain4jChats() {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(baseUrl()).apiKey("unused").modelName("tutor").maxTokens(6)
                .temperature(0.0).build();
        String answer = model.chat("Once upon a time");
        assertFalse(answer.isEmpty());
    }

    @Test
    void langChain4jStreams() throws Exception {
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(baseUrl()).apiKey("unused").modelName("notes")
                .maxTokens(8).temperature(0.0).build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat("Once upon a time", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                partial.append(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(60, TimeUnit.SECONDS);
        assertEquals(partial.toString(), response.aiMessage().text());
        assertEquals(8, response.tokenUsage().outputTokenCount());
    }

    @Test
    void langChain4jEmbeds() {
        OpenAiEmbeddingModel model = OpenAiEmbeddingModel.builder().baseUrl(baseUrl()).apiKey("unused").modelName("bert-tiniest")
                .build();
        Embedding e = model.embed("a cat sat on the mat").content();
        assertTrue(e.dimension() > 0);
        List<Embedding> many = model.embedAll(List.of(dev.langchain4j.data.segment.TextSegment.from("a"),
                dev.langchain4j.data.segment.TextSegment.from("b"))).content();
        assertEquals(2, many.size());
    }

    static final String PERSON = """
            {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}, "age": {"type": "integer"}},
             "required": ["name", "age"], "additionalProperties": false}""";

    static boolean validates(String schema, String json) {
        return com.networknt.schema.SchemaRegistry.withDefaultDialect(com.networknt.schema.SpecificationVersion.DRAFT_2020_12)
                .getSchema(schema).validate(json, com.networknt.schema.InputFormat.JSON).isEmpty();
    }

    @Test
    void openAiSdkGetsJsonForItsSchema() throws Exception {
        Map<String, com.openai.core.JsonValue> schema = new java.util.LinkedHashMap<>();
        Json.MAPPER.readTree(PERSON).properties().forEach(e -> schema.put(e.getKey(),
                com.openai.core.JsonValue.from(Json.MAPPER.convertValue(e.getValue(), Object.class))));
        ChatCompletion c = openAi().chat().completions().create(ChatCompletionCreateParams.builder().model("base")
                .addUserMessage("Who are you?").maxCompletionTokens(40).temperature(1.0).seed(4)
                .responseFormat(com.openai.models.ResponseFormatJsonSchema.builder().jsonSchema(
                        com.openai.models.ResponseFormatJsonSchema.JsonSchema.builder().name("person").strict(true)
                                .schema(com.openai.models.ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                                        .additionalProperties(schema).build()).build()).build())
                .build());
        String json = c.choices().get(0).message().content().orElseThrow();
        assertTrue(validates(PERSON, json), json);
    }

    @Test
    void openAiSdkGetsAToolCall() {
        ChatCompletion c = openAi().chat().completions().create(ChatCompletionCreateParams.builder().model("base")
                .addUserMessage("Weather in Oslo?").maxCompletionTokens(60).temperature(1.0).seed(2)
                .addFunctionTool(com.openai.models.FunctionDefinition.builder().name("get_weather")
                        .parameters(com.openai.models.FunctionParameters.builder()
                                .putAdditionalProperty("type", com.openai.core.JsonValue.from("object"))
                                .putAdditionalProperty("properties", com.openai.core.JsonValue.from(
                                        Map.of("city", Map.of("type", "string", "maxLength", 12))))
                                .putAdditionalProperty("required", com.openai.core.JsonValue.from(List.of("city")))
                                .build()).build())
                .toolChoice(com.openai.models.chat.completions.ChatCompletionToolChoiceOption.Auto.REQUIRED)
                .build());
        var call = c.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction().function();
        assertEquals("get_weather", call.name());
        assertTrue(validates("{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}",
                call.arguments()), call.arguments());
    }

    @Test
    void langChain4jGetsJsonForItsSchema() throws Exception {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(baseUrl()).apiKey("unused").modelName("base").maxTokens(40)
                .temperature(1.0).seed(3).build();
        dev.langchain4j.model.chat.request.json.JsonObjectSchema person = dev.langchain4j.model.chat.request.json.JsonObjectSchema
                .builder().addStringProperty("name").addIntegerProperty("age").required("name", "age").build();
        ChatResponse response = model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
                .messages(dev.langchain4j.data.message.UserMessage.from("Who are you?"))
                .responseFormat(dev.langchain4j.model.chat.request.ResponseFormat.builder()
                        .type(dev.langchain4j.model.chat.request.ResponseFormatType.JSON)
                        .jsonSchema(dev.langchain4j.model.chat.request.json.JsonSchema.builder().name("Person").rootElement(person)
                                .build()).build())
                .build());
        String json = response.aiMessage().text();
        assertTrue(validates("{\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"}, \"age\": "
                + "{\"type\": \"integer\"}}, \"required\": [\"name\", \"age\"]}", json), json);
    }

    @Test
    void langChain4jGetsAToolCall() {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(baseUrl()).apiKey("unused").modelName("base").maxTokens(60)
                .temperature(1.0).seed(5).build();
        dev.langchain4j.agent.tool.ToolSpecification weather = dev.langchain4j.agent.tool.ToolSpecification.builder()
                .name("get_weather").description("The weather in a city")
                .parameters(dev.langchain4j.model.chat.request.json.JsonObjectSchema.builder().addStringProperty("city")
                        .required("city").build())
                .build();
        ChatResponse response = model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
                .messages(dev.langchain4j.data.message.UserMessage.from("Weather in Oslo?"))
                .toolSpecifications(weather)
                .toolChoice(dev.langchain4j.model.chat.request.ToolChoice.REQUIRED)
                .build());
        var call = response.aiMessage().toolExecutionRequests().get(0);
        assertEquals("get_weather", call.name());
        assertTrue(validates("{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}",
                call.arguments()), call.arguments());
    }
}

package dev.plinth.knowledge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What a knowledge base was built with, stored in every commit of its index (the commit's user
 * data, key {@value #KEY}, as JSON) so that the index and its settings change together.
 *
 * @param name            the knowledge base's name
 * @param embedder        what names the embedder: {@link KnowledgeEmbedder#DEFAULT} or a model path
 * @param embedderDigest  the embedder's identity ({@link KnowledgeEmbedder#digest})
 * @param dimension       the vectors' length
 * @param chunkTokens     the chunk budget in tokens
 * @param overlap         the chunk overlap in tokens
 * @param idField         a JSONL record's id field
 * @param textField       a JSONL record's text field
 * @param maxBytes        files larger than this are skipped
 * @param roots           the files and folders ingested (absolute), in the order given
 */
public record KnowledgeSettings(String name, String embedder, String embedderDigest, int dimension, int chunkTokens,
                                int overlap, String idField, String textField, long maxBytes, List<String> roots) implements java.io.Serializable {
    static final String KEY = "plinth.knowledge";
    private static final ObjectMapper JSON = new ObjectMapper();

    public KnowledgeSettings {
        roots = List.copyOf(roots);
    }

    DocumentReader.Options readerOptions() {
        return new DocumentReader.Options(idField, textField, maxBytes);
    }

    KnowledgeSettings withRoots(List<String> newRoots) {
        return new KnowledgeSettings(name, embedder, embedderDigest, dimension, chunkTokens, overlap, idField, textField,
                maxBytes, newRoots);
    }

    String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("schemaVersion", 1).put("name", name).put("embedder", embedder).put("embedderDigest", embedderDigest)
                .put("dimension", dimension).put("chunkTokens", chunkTokens).put("overlap", overlap)
                .put("idField", idField).put("textField", textField).put("maxBytes", maxBytes);
        roots.forEach(o.putArray("roots")::add);
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static KnowledgeSettings fromJson(String json) {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new KnowledgeException("the index's settings are not JSON: " + e.getOriginalMessage());
        }
        List<String> roots = new ArrayList<>();
        o.path("roots").forEach(r -> roots.add(r.asText()));
        return new KnowledgeSettings(o.path("name").asText(), o.path("embedder").asText(),
                o.path("embedderDigest").asText(), o.path("dimension").asInt(), o.path("chunkTokens").asInt(),
                o.path("overlap").asInt(), o.path("idField").asText(), o.path("textField").asText(),
                o.path("maxBytes").asLong(), roots);
    }
}

package dev.plinth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.api.TextEmbedder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** {@code POST /v1/embeddings}: sentence embeddings from an encoder product, as floats or base64 (little-endian float32). */
record Embeddings(Catalog catalog, Metrics metrics) {

    private static final int MAX_INPUTS = 2048;

    void handle(Call call, Access access) throws IOException {
        Fields f = new Fields(Json.parseObject(call.body()));
        ServedModel model = Models.find(catalog, access, f);
        TextEmbedder encoder = model.encoder();
        if (encoder == null) {
            throw ApiException.invalid("model", "The model '" + model.id() + "' is a decoder; embeddings come from encoder "
                    + "models (BERT family).");
        }
        String format = f.string("encoding_format").orElse("float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiException.invalid("encoding_format", "'encoding_format' must be 'float' or 'base64'.");
        }
        f.integer("dimensions", 1, Integer.MAX_VALUE);
        JsonNode input = f.get("input");
        if (input == null) {
            throw ApiException.invalid("input", "'input' is required.");
        }
        List<float[]> vectors;
        int tokens = 0;
        if (input.isTextual() || (input.isArray() && !input.isEmpty() && input.get(0).isTextual())) {
            List<String> texts = texts(input);
            for (String t : texts) {
                tokens += encoder.tokenize(t).length;
            }
            vectors = encoder.embedAll(texts);
        } else {
            List<int[]> ids = ids(input, encoder.vocabSize());
            for (int[] i : ids) {
                tokens += i.length;
            }
            vectors = encoder.embedIds(ids);
        }
        if (f.has("dimensions") && f.get("dimensions").asInt() != vectors.getFirst().length) {
            throw ApiException.invalid("dimensions", "This model gives " + vectors.getFirst().length + " dimensions; it cannot give "
                    + f.get("dimensions").asInt() + ".");
        }
        call.json(200, body(model.id(), vectors, format.equals("base64"), tokens));
        metrics.tokens(tokens, 0);
    }

    private static List<String> texts(JsonNode input) {
        List<JsonNode> items = Generation.items(input);
        checkCount(items.size());
        List<String> texts = new ArrayList<>();
        for (JsonNode item : items) {
            if (!item.isTextual() || item.textValue().isEmpty()) {
                throw ApiException.invalid("input", "'input' must be a non-empty string, an array of them, an array of token "
                        + "ids or an array of such arrays.");
            }
            texts.add(item.textValue());
        }
        return texts;
    }

    private static List<int[]> ids(JsonNode input, int vocabSize) {
        List<int[]> out = new ArrayList<>();
        if (Generation.isTokenArray(input)) {
            out.add(Generation.tokenIds(input, "input", vocabSize));
            return out;
        }
        List<JsonNode> items = Generation.items(input);
        checkCount(items.size());
        for (JsonNode item : items) {
            if (!Generation.isTokenArray(item)) {
                throw ApiException.invalid("input", "'input' must be a non-empty string, an array of them, an array of token "
                        + "ids or an array of such arrays.");
            }
            out.add(Generation.tokenIds(item, "input", vocabSize));
        }
        return out;
    }

    private static void checkCount(int count) {
        if (count == 0 || count > MAX_INPUTS) {
            throw ApiException.invalid("input", "'input' must hold 1 to " + MAX_INPUTS + " items.");
        }
    }

    private static ObjectNode body(String model, List<float[]> vectors, boolean base64, int tokens) {
        ObjectNode body = Json.object();
        body.put("object", "list");
        ArrayNode data = body.putArray("data");
        for (int i = 0; i < vectors.size(); i++) {
            ObjectNode item = data.addObject();
            item.put("object", "embedding");
            item.put("index", i);
            if (base64) {
                item.put("embedding", base64(vectors.get(i)));
            } else {
                ArrayNode values = item.putArray("embedding");
                for (float v : vectors.get(i)) {
                    values.add(v);
                }
            }
        }
        body.put("model", model);
        ObjectNode usage = body.putObject("usage");
        usage.put("prompt_tokens", tokens);
        usage.put("total_tokens", tokens);
        return body;
    }

    static String base64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : vector) {
            bytes.putFloat(v);
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}

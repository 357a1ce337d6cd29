package dev.plinth.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.model.AppliedAdapter;
import java.io.IOException;

/**
 * {@code GET /v1/models} and {@code GET /v1/models/ID}: each product as an OpenAI model, with
 * {@code parent} (the product it was created FROM, as vLLM names an adapter's base) and {@code
 * root} (the base's weights, shared by every product on them), plus Plinth's own details.
 */
record Models(Catalog catalog) {

    void list(Call call, Access access) throws IOException {
        ObjectNode body = Json.object();
        body.put("object", "list");
        ArrayNode data = body.putArray("data");
        for (ServedModel m : catalog.models()) {
            if (access.allows(m.id())) {
                data.add(json(m));
            }
        }
        call.json(200, body);
    }

    void one(Call call, Access access, String id) throws IOException {
        ServedModel m = catalog.find(id).orElseThrow(() -> ApiException.modelNotFound(id));
        access.check(m.id());
        call.json(200, json(m));
    }

    static ObjectNode json(ServedModel m) {
        ObjectNode node = Json.object();
        node.put("id", m.id());
        node.put("object", "model");
        node.put("created", m.created());
        node.put("owned_by", "plinth");
        node.put("parent", m.parent());
        node.put("root", m.root());
        ObjectNode plinth = node.putObject("plinth");
        plinth.put("kind", m.isDecoder() ? "decoder" : "encoder");
        plinth.put("digest", m.digest());
        ArrayNode adapters = plinth.putArray("adapters");
        for (AppliedAdapter a : m.adapters()) {
            adapters.addObject().put("name", a.name()).put("scale", a.scale());
        }
        ObjectNode profile = plinth.putObject("profile");
        profile.put("system", m.profile().system());
        profile.put("few_shot_turns", m.profile().messages().size());
        profile.set("parameters", Json.MAPPER.valueToTree(m.profile().parameters().toJson()));
        return node;
    }

    /** The model a request names (404 when unknown, 403 when the key may not use it). */
    static ServedModel find(Catalog catalog, Access access, Fields f) {
        String id = f.requiredString("model");
        ServedModel m = catalog.find(id).orElseThrow(() -> ApiException.modelNotFound(id));
        access.check(m.id());
        return m;
    }

    /** {@link #find}, for endpoints that generate text. */
    static ServedModel decoder(Catalog catalog, Access access, Fields f) {
        ServedModel m = find(catalog, access, f);
        if (!m.isDecoder()) {
            throw ApiException.invalid("model", "The model '" + m.id() + "' is an encoder; it answers /v1/embeddings only.");
        }
        return m;
    }
}

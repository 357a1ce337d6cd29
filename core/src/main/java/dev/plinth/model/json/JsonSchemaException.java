package dev.plinth.model.json;

/** A JSON Schema that constrained decoding cannot follow: the message names the keyword and where it is. */
public final class JsonSchemaException extends IllegalArgumentException {

    public JsonSchemaException(String message) {
        super(message);
    }
}

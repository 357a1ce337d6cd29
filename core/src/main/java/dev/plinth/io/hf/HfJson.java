package dev.plinth.io.hf;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.io.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the small JSON files of a Hugging Face model folder: one top-level object, with the byte
 * offset of each top-level key kept so that a wrong type can be reported where it is.
 */
final class HfJson {

    static final long MAX_BYTES = 16L << 20;
    static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build()).build());

    /** The parsed object and where each top-level key starts. */
    record Parsed(Path file, ObjectNode root, Map<String, Long> offsets) {

        long offset(String key) {
            return offsets.getOrDefault(key, -1L);
        }

        ModelFormatException wrongType(String key, String expected) {
            return new ModelFormatException(file, key, offset(key), "must be " + expected + ", was " + root.get(key));
        }
    }

    private HfJson() {
    }

    static Parsed read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new ModelFormatException(file, null, 0, "file is " + size + " bytes (at most " + MAX_BYTES + ")");
        }
        return parse(file, Files.readAllBytes(file));
    }

    static Parsed parse(Path file, byte[] json) throws ModelFormatException {
        try (JsonParser p = MAPPER.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new ModelFormatException(file, null, 0, "must hold a JSON object");
            }
            ObjectNode root = MAPPER.createObjectNode();
            Map<String, Long> offsets = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                long at = p.currentTokenLocation().getByteOffset();
                p.nextToken();
                JsonNode value = MAPPER.readTree(p);
                if (root.has(key)) {
                    throw new ModelFormatException(file, key, at, "duplicate key");
                }
                root.set(key, value == null ? MAPPER.nullNode() : value);
                offsets.put(key, at);
            }
            if (p.nextToken() != null) {
                throw new ModelFormatException(file, null, p.currentTokenLocation().getByteOffset(),
                        "unexpected data after the JSON object");
            }
            return new Parsed(file, root, Collections.unmodifiableMap(offsets));
        } catch (JsonProcessingException e) {
            long at = e.getLocation() == null ? -1 : e.getLocation().getByteOffset();
            throw new ModelFormatException(file, null, at, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (ModelFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new ModelFormatException(file, null, -1, "cannot parse: " + e.getMessage(), e);
        }
    }

    /** A JSON value as plain Java: ordered maps, lists, String, Long/BigInteger, Double, Boolean, null. */
    static Object toJava(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        if (n.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            n.properties().forEach(e -> m.put(e.getKey(), toJava(e.getValue())));
            return Collections.unmodifiableMap(m);
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>(n.size());
            n.forEach(e -> l.add(toJava(e)));
            return Collections.unmodifiableList(l);
        }
        if (n.isTextual()) {
            return n.textValue();
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        if (n.isIntegralNumber()) {
            return n.canConvertToLong() ? (Object) n.longValue() : n.bigIntegerValue();
        }
        if (n.isNumber()) {
            return n.doubleValue();
        }
        return n.toString();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> toJavaMap(ObjectNode n) {
        return (Map<String, Object>) toJava(n);
    }
}

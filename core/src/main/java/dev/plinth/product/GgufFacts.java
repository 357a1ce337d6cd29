package dev.plinth.product;

import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.gguf.GgufValue;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the product layer reads from a GGUF header: its type and architecture, its {@code general.*}
 * metadata (for lineage) and its tensor shapes (to check adapters against a base).
 */
record GgufFacts(String type, String architecture, Map<String, Object> general, Map<String, long[]> shapes) {

    private static final int MAX_LISTED = 16;

    static boolean isGguf(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(4), "GGUF".getBytes(StandardCharsets.US_ASCII));
        }
    }

    static GgufFacts read(Path file) throws IOException {
        try (GgufFile g = GgufFile.open(file)) {
            Map<String, Object> general = new TreeMap<>();
            g.metadata().forEach((k, v) -> {
                if (k.startsWith("general.") && !k.equals("general.architecture")) {
                    Object plain = plain(v);
                    if (plain != null) {
                        general.put(k, plain);
                    }
                }
            });
            Map<String, long[]> shapes = new LinkedHashMap<>();
            g.tensorInfos().forEach(t -> shapes.put(t.name(), t.shape()));
            return new GgufFacts(g.getString("general.type", "model"), g.getString("general.architecture", ""),
                    general, shapes);
        }
    }

    /** A scalar, or a short list of scalars; null for what lineage does not keep (long arrays). */
    private static Object plain(GgufValue v) {
        Object value = v.value();
        if (value instanceof GgufValue.GgufArray array) {
            List<Object> items = array.elements();
            if (items.size() > MAX_LISTED || items.stream().anyMatch(i -> i instanceof GgufValue.GgufArray)) {
                return null;
            }
            return List.copyOf(items);
        }
        return value;
    }
}

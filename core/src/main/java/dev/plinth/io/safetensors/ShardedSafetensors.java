package dev.plinth.io.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A model whose tensors are spread over several safetensors files, as listed by the
 * {@code weight_map} of a {@code model.safetensors.index.json}. Every listed tensor must be in its
 * shard and every tensor of a shard must be listed; shard names must be plain file names in the
 * index's folder.
 */
public final class ShardedSafetensors implements SafetensorsModel {

    static final long MAX_INDEX_BYTES = 64L << 20;
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).build()).build());

    private final List<SafetensorsFile> shards;
    private final Map<String, String> indexMetadata;
    private final List<TensorInfo> infos;
    private final Map<String, SafetensorsFile> shardOf;

    private ShardedSafetensors(List<SafetensorsFile> shards, Map<String, String> indexMetadata, List<TensorInfo> infos,
                               Map<String, SafetensorsFile> shardOf) {
        this.shards = shards;
        this.indexMetadata = indexMetadata;
        this.infos = infos;
        this.shardOf = shardOf;
    }

    /** Opens the index file and maps every shard it names. */
    public static ShardedSafetensors open(Path index) throws IOException {
        Map<String, String> weightMap = new LinkedHashMap<>();
        Map<String, String> indexMetadata = readIndex(index, weightMap);
        Path dir = index.toAbsolutePath().getParent();
        List<SafetensorsFile> shards = new ArrayList<>();
        try {
            for (String shardName : new TreeSet<>(weightMap.values())) {
                shards.add(SafetensorsFile.open(dir.resolve(shardName)));
            }
            List<TensorInfo> infos = new ArrayList<>();
            Map<String, SafetensorsFile> shardOf = new LinkedHashMap<>();
            for (SafetensorsFile shard : shards) {
                String shardName = shard.path().getFileName().toString();
                for (TensorInfo info : shard.tensorInfos()) {
                    String listed = weightMap.get(info.name());
                    if (!shardName.equals(listed)) {
                        throw new ModelFormatException(index, "weight_map", -1, "tensor '" + info.name() + "' is in "
                                + shardName + " but the weight_map " + (listed == null ? "does not list it" : "says " + listed));
                    }
                    infos.add(info);
                    shardOf.put(info.name(), shard);
                }
            }
            for (var e : weightMap.entrySet()) {
                if (!shardOf.containsKey(e.getKey())) {
                    throw new ModelFormatException(index, "weight_map." + e.getKey(), -1,
                            "tensor is listed in " + e.getValue() + " but that shard does not hold it");
                }
            }
            return new ShardedSafetensors(List.copyOf(shards), indexMetadata, List.copyOf(infos),
                    Collections.unmodifiableMap(shardOf));
        } catch (IOException | RuntimeException e) {
            shards.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** Fills {@code weightMap} and returns the index's {@code metadata} object as strings. */
    private static Map<String, String> readIndex(Path index, Map<String, String> weightMap) throws IOException {
        long size = Files.size(index);
        if (size > MAX_INDEX_BYTES) {
            throw new ModelFormatException(index, null, 0, "index file is " + size + " bytes (at most " + MAX_INDEX_BYTES + ")");
        }
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(index));
        } catch (JsonProcessingException e) {
            long at = e.getLocation() == null ? -1 : e.getLocation().getByteOffset();
            throw new ModelFormatException(index, null, at, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(index, null, 0, "index must be a JSON object");
        }
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new ModelFormatException(index, "weight_map", -1, "must be a non-empty object {tensor name: shard file}");
        }
        for (var e : map.properties()) {
            JsonNode v = e.getValue();
            if (!v.isTextual() || !isPlainFileName(v.asText())) {
                throw new ModelFormatException(index, "weight_map." + e.getKey(), -1,
                        "shard must be a plain file name in the index's folder, was " + v);
            }
            weightMap.put(e.getKey(), v.asText());
        }
        Map<String, String> meta = new LinkedHashMap<>();
        JsonNode m = root.get("metadata");
        if (m != null && m.isObject()) {
            for (var e : m.properties()) {
                meta.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
            }
        }
        return Collections.unmodifiableMap(meta);
    }

    private static boolean isPlainFileName(String s) {
        return !s.isEmpty() && !s.equals(".") && !s.equals("..") && s.indexOf('/') < 0 && s.indexOf('\\') < 0
                && s.indexOf('\0') < 0;
    }


    /** The shards, sorted by file name. */
    public List<SafetensorsFile> shards() {
        return shards;
    }

    /** The index's own {@code metadata} object (e.g. total_size), values as strings. */
    public Map<String, String> indexMetadata() {
        return indexMetadata;
    }

    @Override
    public List<TensorInfo> tensorInfos() {
        return infos;
    }

    @Override
    public TensorInfo tensorInfo(String name) {
        SafetensorsFile f = shardOf.get(name);
        return f == null ? null : f.tensorInfo(name);
    }

    @Override
    public Tensor tensor(String name) {
        SafetensorsFile f = shardOf.get(name);
        return f == null ? null : f.tensor(name);
    }

    @Override
    public Map<String, String> metadata() {
        return shards.isEmpty() ? Map.of() : shards.getFirst().metadata();
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }
}

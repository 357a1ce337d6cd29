package dev.plinth.io.safetensors;

import dev.plinth.io.AtomicFiles;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes safetensors files the way Hugging Face's {@code safetensors} library does, so that
 * rewriting a file it wrote gives the same bytes: tensors sorted by dtype alignment (descending,
 * in the order of its {@code Dtype} enum) then by name (UTF-8 bytes), compact JSON with
 * {@code __metadata__} first and fields {@code dtype, shape, data_offsets}, serde_json string
 * escaping, and the header padded with spaces to a multiple of 8 bytes so that data are aligned.
 * Every file is written atomically (temp file, fsync, rename).
 */
public final class SafetensorsWriter {

    private SafetensorsWriter() {
    }

    /**
     * Writes {@code tensors} to one file. {@code metadata} becomes {@code __metadata__} in its
     * iteration order; null leaves the key out.
     */
    public static void write(Path target, Collection<Tensor> tensors, Map<String, String> metadata) throws IOException {
        List<Tensor> sorted = sortLikeHuggingFace(tensors);
        byte[] header = header(sorted, metadata);
        AtomicFiles.write(target, ch -> {
            ByteBuffer head = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(header.length).put(header).flip();
            AtomicFiles.writeFully(ch, head);
            ByteBuffer scratch = AtomicFiles.newScratch();
            for (Tensor t : sorted) {
                AtomicFiles.writeSegment(ch, t.data(), scratch);
            }
        });
    }

    /**
     * Writes {@code tensors} as a Hugging Face sharded model into {@code dir}: shards
     * {@code model-0000i-of-0000n.safetensors} filled greedily in the given order up to
     * {@code maxShardBytes} of tensor data each (a larger tensor gets a shard of its own), and a
     * {@code model.safetensors.index.json} written last. When everything fits one shard, writes a
     * plain {@code model.safetensors} and no index, as {@code save_pretrained} does.
     *
     * @return the files written, index last
     */
    public static List<Path> writeSharded(Path dir, List<Tensor> tensors, Map<String, String> metadata,
                                          long maxShardBytes) throws IOException {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive, was " + maxShardBytes);
        }
        checkTensors(tensors);
        List<List<Tensor>> shards = planShards(tensors, maxShardBytes);
        if (shards.size() <= 1) {
            Path single = dir.resolve(SafetensorsModel.SINGLE_FILE);
            write(single, tensors, metadata);
            return List.of(single);
        }
        List<Path> written = new ArrayList<>();
        Map<String, String> weightMap = new TreeMap<>(SafetensorsWriter::compareCodePoints);
        long total = 0;
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            Path p = dir.resolve(name);
            write(p, shards.get(i), metadata);
            written.add(p);
            for (Tensor t : shards.get(i)) {
                weightMap.put(t.name(), name);
                total += t.data().byteSize();
            }
        }
        Path index = dir.resolve(SafetensorsModel.INDEX_FILE);
        byte[] json = indexJson(total, weightMap).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(index, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(json)));
        written.add(index);
        return written;
    }

    private static List<List<Tensor>> planShards(List<Tensor> tensors, long max) {
        List<List<Tensor>> shards = new ArrayList<>();
        List<Tensor> current = new ArrayList<>();
        long size = 0;
        for (Tensor t : tensors) {
            long n = t.data().byteSize();
            if (n > max) {
                shards.add(List.of(t));
                continue;
            }
            if (!current.isEmpty() && size + n > max) {
                shards.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(t);
            size += n;
        }
        if (!current.isEmpty()) {
            shards.add(current);
        }
        return shards;
    }

    /** Python's {@code json.dumps(index, indent=2, sort_keys=True) + "\n"}, as transformers writes it. */
    static String indexJson(long totalSize, Map<String, String> sortedWeightMap) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\n  \"metadata\": {\n    \"total_size\": ").append(totalSize).append("\n  },\n  \"weight_map\": {");
        boolean first = true;
        for (var e : sortedWeightMap.entrySet()) {
            sb.append(first ? "\n" : ",\n").append("    ");
            appendJsonString(sb, e.getKey(), true);
            sb.append(": ");
            appendJsonString(sb, e.getValue(), true);
            first = false;
        }
        return sb.append("\n  }\n}\n").toString();
    }

    static List<Tensor> sortLikeHuggingFace(Collection<Tensor> tensors) {
        checkTensors(tensors);
        List<Tensor> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.<Tensor>comparingInt(t -> -StDType.of(t.dtype()).ordinal())
                .thenComparing((a, b) -> Arrays.compareUnsigned(utf8(a.name()), utf8(b.name()))));
        return sorted;
    }

    private static void checkTensors(Collection<Tensor> tensors) {
        Set<String> names = new HashSet<>();
        for (Tensor t : tensors) {
            if (StDType.of(t.dtype()) == null) {
                throw new IllegalArgumentException("tensor '" + t.name() + "' has dtype " + t.dtype()
                        + ", which safetensors cannot hold (it holds " + StDType.supportedNames() + ")");
            }
            if (t.name().equals(SafetensorsHeaderParser.METADATA_KEY) || !names.add(t.name())) {
                throw new IllegalArgumentException("tensor name '" + t.name() + "' is reserved or repeated");
            }
            if (t.byteSize() != t.data().byteSize()) {
                throw new IllegalArgumentException("tensor '" + t.name() + "' holds " + t.data().byteSize()
                        + " bytes but its dtype and shape need " + t.byteSize());
            }
        }
    }

    /** The JSON header, padded with spaces to a multiple of 8 bytes. */
    static byte[] header(List<Tensor> sorted, Map<String, String> metadata) {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        if (metadata != null) {
            sb.append("\"__metadata__\":{");
            boolean firstKey = true;
            for (var e : metadata.entrySet()) {
                if (!firstKey) {
                    sb.append(',');
                }
                appendJsonString(sb, e.getKey(), false);
                sb.append(':');
                appendJsonString(sb, e.getValue(), false);
                firstKey = false;
            }
            sb.append('}');
            first = false;
        }
        long offset = 0;
        for (Tensor t : sorted) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            appendJsonString(sb, t.name(), false);
            sb.append(":{\"dtype\":\"").append(StDType.of(t.dtype()).name()).append("\",\"shape\":[");
            long[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) {
                sb.append(i == 0 ? "" : ",").append(shape[i]);
            }
            long end = offset + t.data().byteSize();
            sb.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        sb.append('}');
        byte[] json = utf8(sb.toString());
        int padded = (json.length + 7) & ~7;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /**
     * Appends a JSON string literal. serde_json style (asciiOnly false): escapes quote, backslash
     * and control characters only, with the short forms where JSON has them and lowercase
     * {@code \\u00xx} otherwise. Python style (asciiOnly true) additionally escapes everything
     * beyond ASCII as UTF-16 {@code \\uxxxx}.
     */
    static void appendJsonString(StringBuilder sb, String s, boolean asciiOnly) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (asciiOnly && c > 0x7e)) {
                        sb.append("\\" + String.format("u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static int compareCodePoints(String a, String b) {
        return Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

package dev.plinth.model.lora;

import dev.plinth.io.ModelFormatException;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.gguf.GgufType;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.gguf.GgufWriter;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * llama.cpp's LoRA adapter GGUF, as {@code convert_lora_to_gguf.py} writes it and
 * {@code llama_adapter_lora_init} (ggml-org/llama.cpp {@code src/llama-adapter.cpp}) loads it:
 * {@code general.type = adapter}, {@code general.architecture} = the base's, {@code adapter.type =
 * lora}, {@code adapter.lora.alpha} (float32; absent reads as 0, "no alpha"), and for each adapted
 * weight of the base the tensors {@code <weight>.lora_a} {@code [r, in]} and {@code <weight>.lora_b}
 * {@code [out, r]} (row-major; GGUF lists the dimensions the other way round), B's rows in the base
 * GGUF's order. No vocabulary.
 *
 * <p>Plinth's provenance ({@link LoraAdapter#metadata()}) is written as string keys
 * {@value #PROVENANCE} followed by the metadata key (e.g. {@code adapter.plinth.base.digest}); llama.cpp
 * keeps them as plain metadata.
 *
 * <p>One alpha serves the whole file, and llama.cpp scales a pair by {@code alpha / r} with r its
 * own rank. When every pair's scale times its rank is one number (one alpha without rsLoRA, or one
 * rank), that number is the file's alpha and the tensors are written as they are; otherwise (PEFT's
 * per-module {@code alpha_pattern}, rsLoRA over mixed ranks) each pair's scale is folded into its B
 * and the file's alpha is 0, which scales every pair by 1. Either way llama.cpp and Plinth apply
 * the same products.
 */
public final class LoraGguf {
    /** Where Plinth's provenance keys live in the file. */
    public static final String PROVENANCE = "adapter.plinth.";
    private static final String SUFFIX_A = ".lora_a";
    private static final String SUFFIX_B = ".lora_b";

    private LoraGguf() {
    }

    /**
     * Reads {@code file}: F32 tensors as they are, F16, BF16 and the block types Plinth decodes
     * (Q8_0, ...) decoded to F32. A malformed adapter (not an adapter, a tensor that is not
     * {@code .lora_a}/{@code .lora_b}, a missing partner, a rank mismatch, an undecodable dtype) is
     * refused with a {@link ModelFormatException} naming the file and the tensor. Per-layer norm
     * tensors ({@code *_norm.weight}) are skipped, as llama.cpp skips them.
     */
    public static LoraAdapter read(Path file) throws IOException {
        try (GgufFile gguf = GgufFile.open(file)) {
            requireString(gguf, "general.type", "adapter");
            requireString(gguf, "adapter.type", "lora");
            String architecture = gguf.getString("general.architecture", "");
            if (architecture.isEmpty()) {
                throw new ModelFormatException(file, "general.architecture", -1, "is missing: an adapter names the "
                        + "architecture of its base");
            }
            float alpha = alpha(gguf);
            Map<String, Tensor> as = new LinkedHashMap<>();
            Map<String, Tensor> bs = new LinkedHashMap<>();
            for (GgufFile.TensorInfo info : gguf.tensorInfos()) {
                String name = info.name();
                if (name.endsWith(SUFFIX_A)) {
                    as.put(weightOf(name), gguf.tensor(info));
                } else if (name.endsWith(SUFFIX_B)) {
                    bs.put(weightOf(name), gguf.tensor(info));
                } else if (!name.endsWith("_norm.weight")) {
                    throw AdapterTensors.refuse(file, name, "is neither <base weight>" + SUFFIX_A + " nor " + SUFFIX_B);
                }
            }
            Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
            for (String weight : as.keySet()) {
                pairs.put(weight, pair(file, weight, as.get(weight), bs.get(weight), alpha));
            }
            for (String weight : bs.keySet()) {
                if (!as.containsKey(weight)) {
                    throw AdapterTensors.refuse(file, weight + SUFFIX_B, "has no partner " + weight + SUFFIX_A);
                }
            }
            if (pairs.isEmpty()) {
                throw new ModelFormatException(file, null, -1, "holds no LoRA pairs");
            }
            return new LoraAdapter(architecture, false, pairs, Map.of(), provenance(gguf));
        }
    }

    /**
     * Writes {@code adapter} to {@code file} (atomically), tensors in F32. Whole tensors (PEFT's
     * {@code modules_to_save}) have no place in this format and are refused: write a PEFT folder.
     */
    public static void write(LoraAdapter adapter, Path file) throws IOException {
        if (!adapter.wholeTensors().isEmpty()) {
            throw new IllegalArgumentException("llama.cpp's LoRA GGUF holds low-rank pairs only; this adapter also has "
                    + adapter.wholeTensors().keySet() + ": write it as a PEFT folder");
        }
        Float shared = sharedAlpha(adapter);
        GgufWriter w = new GgufWriter()
                .put("general.type", GgufValue.of("adapter"))
                .put("general.architecture", GgufValue.of(adapter.architecture()))
                .put("adapter.type", GgufValue.of("lora"))
                .put("adapter.lora.alpha", GgufValue.ofFloat32(shared != null ? shared : 0f));
        adapter.metadata().forEach((k, v) -> w.put(PROVENANCE + k, GgufValue.of(v)));
        adapter.pairs().forEach((weight, p) -> {
            Tensor b = shared != null ? p.b() : scaled(p.b(), adapter.scale(p));
            w.add(new Tensor(weight + SUFFIX_A, p.a().dtype(), p.a().shape(), p.a().data()));
            w.add(new Tensor(weight + SUFFIX_B, b.dtype(), b.shape(), b.data()));
        });
        w.write(file);
    }

    /**
     * The file alpha that gives every pair its own scale under llama.cpp's {@code alpha / r}, or null
     * when the pairs need different ones.
     */
    private static Float sharedAlpha(LoraAdapter adapter) {
        Float shared = null;
        for (LoraAdapter.Pair p : adapter.pairs().values()) {
            double r = p.rank();
            double perRank = p.alpha() == 0 ? r : adapter.rsLora() ? p.alpha() * Math.sqrt(r) : p.alpha();
            float alpha = (float) perRank;
            if (shared != null && shared != alpha) {
                return null;
            }
            shared = alpha;
        }
        return shared;
    }

    private static Tensor scaled(Tensor b, float scale) {
        float[] v = b.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
        for (int i = 0; i < v.length; i++) {
            v[i] *= scale;
        }
        return Tensor.ofFloats(b.name(), v, b.shape());
    }

    private static LoraAdapter.Pair pair(Path file, String weight, Tensor a, Tensor b, float alpha)
            throws ModelFormatException {
        if (b == null) {
            throw AdapterTensors.refuse(file, weight + SUFFIX_A, "has no partner " + weight + SUFFIX_B);
        }
        return AdapterTensors.pair(file, weight, AdapterTensors.matrix(file, a.name(), a),
                AdapterTensors.matrix(file, b.name(), b), alpha);
    }

    private static String weightOf(String tensor) {
        return tensor.substring(0, tensor.length() - SUFFIX_A.length());
    }

    private static void requireString(GgufFile gguf, String key, String expected) throws ModelFormatException {
        String value = gguf.getString(key, null);
        if (!expected.equals(value)) {
            throw new ModelFormatException(gguf.path(), key, -1, (value == null ? "is missing" : "is '" + value + "'")
                    + ", expected '" + expected + "': not a LoRA adapter GGUF");
        }
    }

    private static float alpha(GgufFile gguf) throws ModelFormatException {
        GgufValue v = gguf.metadata().get("adapter.lora.alpha");
        if (v == null) {
            return 0f;
        }
        if (!(v.value() instanceof Number n)) {
            throw new ModelFormatException(gguf.path(), "adapter.lora.alpha", -1, "is a " + v.type() + ", not a number");
        }
        float alpha = n.floatValue();
        if (!Float.isFinite(alpha)) {
            throw new ModelFormatException(gguf.path(), "adapter.lora.alpha", -1, "is " + alpha + ", not a finite number");
        }
        return alpha;
    }

    private static Map<String, String> provenance(GgufFile gguf) {
        Map<String, String> out = new LinkedHashMap<>();
        gguf.metadata().forEach((k, v) -> {
            if (k.startsWith(PROVENANCE) && v.type() == GgufType.STRING) {
                out.put(k.substring(PROVENANCE.length()), v.asString());
            }
        });
        return out;
    }
}

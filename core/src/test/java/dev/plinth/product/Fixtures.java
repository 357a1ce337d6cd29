package dev.plinth.product;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.gguf.GgufWriter;
import dev.plinth.io.safetensors.SafetensorsWriter;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Models, adapters and Plinthfiles for the product tests. The shared GGUFs are copied into the
 * test's folder first: the store hard-links a GGUF it is given, and a test that damages a blob must
 * never reach the shared file.
 */
public final class Fixtures {

    /** A chat template for the tiny llama, which has none of its own. */
    public static final String TEMPLATE = "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}"
            + "{% if add_generation_prompt %}[assistant]{% endif %}";

    private Fixtures() {
    }

    /** stories260K.gguf (llama, 5 layers, hidden 64, 8 heads / 4 kv heads, ffn 172, vocabulary 512), copied into {@code dir}. */
    public static Path stories(Path dir) throws IOException {
        Files.createDirectories(dir);
        return Files.copy(SharedData.require("models/stories260K/stories260K.gguf"), dir.resolve("stories260K.gguf"));
    }

    /** llama-2-tiny-random.gguf with {@link #TEMPLATE} as its {@code tokenizer.chat_template}, written into {@code dir}. */
    public static Path tinyLlamaWithTemplate(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path out = dir.resolve("tiny-chat.gguf");
        try (GgufFile in = GgufFile.open(SharedData.require("models/llama-2-tiny-random/llama-2-tiny-random.gguf"))) {
            GgufWriter.copyOf(in).put("tokenizer.chat_template", GgufValue.of(TEMPLATE)).write(out);
        }
        return out;
    }

    public static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        return Files.writeString(file, text);
    }

    /** Creates {@code name} in {@code store} from Plinthfile {@code text} written at {@code dir/Plinthfile-name}. */
    public static Product create(Store store, Path dir, String name, String text) throws IOException {
        Path file = write(dir.resolve("Plinthfile-" + name.replace(':', '-').replace('/', '-')), text);
        return ProductCreator.create(store, ProductName.parse(name), Plinthfile.read(file), false, ProductCreator.Listener.NONE);
    }

    /**
     * A PEFT LoRA folder of rank {@code r} over stories260K's attention q and v projections of layer
     * 0, its q matrix {@code qIn} wide (64 fits the base), with {@code lineage} as its lineage.json when not null.
     */
    public static Path peftAdapter(Path dir, int r, int qIn, String lineage) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("adapter_config.json"), """
                {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": %d, "lora_alpha": 16,
                 "target_modules": ["q_proj", "v_proj"], "base_model_name_or_path": "stories260K"}
                """.formatted(r));
        String prefix = "base_model.model.model.layers.0.self_attn.";
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(Tensor.ofFloats(prefix + "q_proj.lora_A.weight", new float[r * qIn], r, qIn));
        tensors.add(Tensor.ofFloats(prefix + "q_proj.lora_B.weight", new float[64 * r], 64, r));
        tensors.add(Tensor.ofFloats(prefix + "v_proj.lora_A.weight", new float[r * 64], r, 64));
        tensors.add(Tensor.ofFloats(prefix + "v_proj.lora_B.weight", new float[32 * r], 32, r));
        SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), tensors, Map.of("format", "pt"));
        if (lineage != null) {
            Files.writeString(dir.resolve("lineage.json"), lineage);
        }
        return dir;
    }

    /** Deterministic non-zero values, so that an adapter made of them changes what the model says. */
    private static float[] wave(int n, float phase) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.sin(1.7 * i + phase);
        }
        return v;
    }

    /** A llama.cpp LoRA GGUF for stories260K's layer-0 q projection (rank 2, non-zero), of {@code architecture}. */
    public static Path loraGguf(Path file, String architecture) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        new GgufWriter().put("general.architecture", GgufValue.of(architecture))
                .put("general.type", GgufValue.of("adapter"))
                .put("adapter.type", GgufValue.of("lora"))
                .put("adapter.lora.alpha", GgufValue.ofFloat32(4f))
                .add(Tensor.ofFloats("blk.0.attn_q.weight.lora_a", wave(2 * 64, 0.5f), 2, 64))
                .add(Tensor.ofFloats("blk.0.attn_q.weight.lora_b", wave(64 * 2, 0.3f), 64, 2))
                .write(file);
        return file;
    }
}

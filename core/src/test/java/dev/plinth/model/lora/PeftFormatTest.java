package dev.plinth.model.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.io.safetensors.SafetensorsFile;
import dev.plinth.io.safetensors.SafetensorsModel;
import dev.plinth.io.safetensors.SafetensorsWriter;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.GgufLayout;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PEFT folder format, checked against a table taken from PEFT's own source (repository
 * huggingface/peft):
 * <ul>
 *   <li>{@code src/peft/utils/constants.py}: {@code CONFIG_NAME = "adapter_config.json"},
 *       {@code SAFETENSORS_WEIGHTS_NAME = "adapter_model.safetensors"};
 *   <li>{@code src/peft/tuners/lora/layer.py}, {@code LoraLayer.update_layer}: {@code lora_A} is
 *       {@code nn.Linear(in_features, r, bias=False)} (weight {@code [r, in]}), {@code lora_B} is
 *       {@code nn.Linear(r, out_features)} (weight {@code [out, r]}); {@code scaling = lora_alpha / r},
 *       or {@code lora_alpha / math.sqrt(r)} with {@code use_rslora};
 *   <li>{@code src/peft/utils/save_and_load.py}, {@code get_peft_model_state_dict}: the adapter name
 *       ({@code .default}) is removed from the keys, so a key is the PeftModel's parameter name
 *       {@code base_model.model.<module>.lora_A.weight}; {@code ModulesToSaveWrapper} drops its
 *       {@code modules_to_save.<adapter>.} infix, so a saved module is {@code base_model.model.score.weight};
 *   <li>{@code src/peft/tuners/lora/config.py} ({@code LoraConfig}) and {@code src/peft/config.py}
 *       ({@code PeftConfig}): the keys below, written by {@code save_pretrained} as
 *       {@code json.dumps(indent=2, sort_keys=True)}; {@code utils/other.py} {@code get_pattern_key}
 *       matches rank_pattern / alpha_pattern keys as {@code (.*\.)?(key)$}.
 * </ul>
 * The llama module names and their [out, in] are transformers' {@code LlamaAttention} / {@code LlamaMLP}.
 */
class PeftFormatTest {
    static final DecoderConfig LLAMA = DecoderConfig.builder("llama").hiddenSize(64).ffnSize(96).layers(2).heads(4)
            .kvHeads(2).vocabSize(300).build();
    /** PEFT module (relative to a llama decoder layer) → [out, in] of its nn.Linear for {@link #LLAMA}. */
    static final Map<String, long[]> MODULES = new LinkedHashMap<>();
    static {
        MODULES.put("self_attn.q_proj", new long[] {64, 64});
        MODULES.put("self_attn.k_proj", new long[] {32, 64});
        MODULES.put("self_attn.v_proj", new long[] {32, 64});
        MODULES.put("self_attn.o_proj", new long[] {64, 64});
        MODULES.put("mlp.gate_proj", new long[] {96, 64});
        MODULES.put("mlp.up_proj", new long[] {96, 64});
        MODULES.put("mlp.down_proj", new long[] {64, 96});
    }
    /** The adapter_config.json keys of the issue and the brief, with the JSON type PEFT gives each. */
    static final Map<String, String> CONFIG_KEYS = new LinkedHashMap<>();
    static {
        CONFIG_KEYS.put("peft_type", "STRING");
        CONFIG_KEYS.put("task_type", "STRING");
        CONFIG_KEYS.put("r", "NUMBER");
        CONFIG_KEYS.put("lora_alpha", "NUMBER");
        CONFIG_KEYS.put("target_modules", "ARRAY");
        CONFIG_KEYS.put("lora_dropout", "NUMBER");
        CONFIG_KEYS.put("bias", "STRING");
        CONFIG_KEYS.put("use_rslora", "BOOLEAN");
        CONFIG_KEYS.put("modules_to_save", "ARRAY");
        CONFIG_KEYS.put("fan_in_fan_out", "BOOLEAN");
        CONFIG_KEYS.put("rank_pattern", "OBJECT");
        CONFIG_KEYS.put("alpha_pattern", "OBJECT");
        CONFIG_KEYS.put("base_model_name_or_path", "STRING");
        CONFIG_KEYS.put("inference_mode", "BOOLEAN");
    }
    static final int R = 4;

    @TempDir
    Path tmp;

    @Test
    void writtenFolderHasPeftsNamesShapesAndConfigKeys() throws Exception {
        LoraAdapter lora = RandomAdapters.of(LLAMA, RandomAdapters.ALL_ROLES, R, 8, 0.5, 1);
        Tensor score = RandomModels.gaussian("score.weight", 0.1, 2, 0, 2, 64);
        LoraAdapter adapter = new LoraAdapter("llama", false, lora.pairs(), Map.of("score.weight", score),
                Map.of(LoraAdapter.META_TASK, "classify", LoraAdapter.META_BASE_NAME, "my-base"));
        Path dir = tmp.resolve("adapter");
        PeftAdapters.write(adapter, dir, LLAMA);

        assertTrue(Files.isRegularFile(dir.resolve("adapter_config.json")));
        Map<String, long[]> expected = new LinkedHashMap<>();
        for (int i = 0; i < LLAMA.layers(); i++) {
            for (var m : MODULES.entrySet()) {
                String prefix = "base_model.model.model.layers." + i + "." + m.getKey();
                expected.put(prefix + ".lora_A.weight", new long[] {R, m.getValue()[1]});
                expected.put(prefix + ".lora_B.weight", new long[] {m.getValue()[0], R});
            }
        }
        expected.put("base_model.model.score.weight", new long[] {2, 64});
        try (SafetensorsFile st = SafetensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
            Set<String> names = new HashSet<>();
            for (SafetensorsModel.TensorInfo t : st.tensorInfos()) {
                names.add(t.name());
                assertTrue(expected.containsKey(t.name()), "unexpected tensor " + t.name());
                assertArrayEquals(expected.get(t.name()), t.shape(), t.name());
            }
            assertEquals(expected.keySet(), names);
        }
        JsonNode config = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
        CONFIG_KEYS.forEach((key, type) -> {
            assertTrue(config.has(key), "adapter_config.json lacks " + key);
            assertEquals(type, config.get(key).getNodeType().name(), key);
        });
        List<String> keys = new ArrayList<>();
        config.fieldNames().forEachRemaining(keys::add);
        assertEquals(keys.stream().sorted().toList(), keys, "keys sorted as json.dumps(sort_keys=True) writes them");
        assertEquals("LORA", config.get("peft_type").asText());
        assertEquals("SEQ_CLS", config.get("task_type").asText());
        assertEquals("none", config.get("bias").asText());
        assertEquals("my-base", config.get("base_model_name_or_path").asText());
        Set<String> targets = new HashSet<>();
        config.get("target_modules").forEach(t -> targets.add(t.asText()));
        assertEquals(Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), targets);
    }

    /**
     * A folder laid out by hand as PEFT saves one (not by Plinth's writer): rsLoRA, an alpha_pattern
     * key matching a tail of the module name, q rows in Hugging Face's rotate-half order.
     */
    @Test
    void readsAFolderAsPeftSavesIt() throws Exception {
        Path dir = tmp.resolve("by-hand");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("adapter_config.json"), """
                {
                  "alpha_pattern": {
                    "layers.1.self_attn.q_proj": 32
                  },
                  "base_model_name_or_path": "TinyLlama/TinyLlama-1.1B",
                  "bias": "none",
                  "fan_in_fan_out": false,
                  "inference_mode": true,
                  "lora_alpha": 16,
                  "lora_dropout": 0.05,
                  "modules_to_save": null,
                  "peft_type": "LORA",
                  "r": 4,
                  "rank_pattern": {},
                  "target_modules": ["q_proj", "v_proj"],
                  "task_type": "CAUSAL_LM",
                  "use_dora": false,
                  "use_rslora": true
                }
                """);
        List<Tensor> tensors = new ArrayList<>();
        int stream = 0;
        for (int i = 0; i < 2; i++) {
            for (String m : List.of("self_attn.q_proj", "self_attn.v_proj")) {
                long[] outIn = MODULES.get(m);
                String prefix = "base_model.model.model.layers." + i + "." + m;
                tensors.add(RandomModels.gaussian(prefix + ".lora_A.weight", 0.1, 3, stream++, R, outIn[1]));
                tensors.add(RandomModels.gaussian(prefix + ".lora_B.weight", 0.1, 3, stream++, outIn[0], R));
            }
        }
        SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), tensors, Map.of("format", "pt"));

        LoraAdapter a = PeftAdapters.read(dir, LLAMA);
        assertEquals(Set.of("blk.0.attn_q.weight", "blk.0.attn_v.weight", "blk.1.attn_q.weight", "blk.1.attn_v.weight"),
                a.pairs().keySet());
        assertEquals(16 / 2f, a.scale(a.pairs().get("blk.0.attn_q.weight")), "rsLoRA: alpha / sqrt(r)");
        assertEquals(32 / 2f, a.scale(a.pairs().get("blk.1.attn_q.weight")), "alpha_pattern matches a tail");
        assertEquals("TinyLlama/TinyLlama-1.1B", a.metadata().get(LoraAdapter.META_BASE_NAME));
        assertEquals("causal", a.metadata().get(LoraAdapter.META_TASK));
        assertEquals("0.05", a.metadata().get(LoraAdapter.META_DROPOUT));
        Tensor peftQ = tensors.get(1);
        Tensor ours = a.pairs().get("blk.0.attn_q.weight").b();
        assertArrayEquals(floats(GgufLayout.toGgufRows(LLAMA, "blk.0.attn_q.weight", peftQ)), floats(ours),
                "q's B rows go from rotate-half to GGUF's interleaved pairs");
        assertArrayEquals(floats(tensors.get(3)), floats(a.pairs().get("blk.0.attn_v.weight").b()), "v keeps its rows");
    }

    private static float[] floats(Tensor t) {
        return t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
    }
}

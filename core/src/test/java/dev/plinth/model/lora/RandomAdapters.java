package dev.plinth.model.lora;

import dev.plinth.model.DecoderConfig;
import dev.plinth.model.GgufLayout;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Seeded random LoRA adapters for tests. Unlike a freshly initialised PEFT adapter (B = 0, which
 * changes nothing) both A and B are drawn, A from N(0, 1/in) and B from N(0, (gain/√r)²), so that
 * an adapter visibly moves the logits of a unit-scale random base.
 */
public final class RandomAdapters {
    /** The seven block projections LoRA targets by default (PEFT's all linear layers of a llama block). */
    public static final List<String> ALL_ROLES = List.of("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate",
            "ffn_up", "ffn_down");

    private RandomAdapters() {
    }

    /** Pairs of rank {@code r} and alpha {@code alpha} on {@code roles} of every block of {@code c}. */
    public static LoraAdapter of(DecoderConfig c, List<String> roles, int r, float alpha, double gain, long seed) {
        Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
        int stream = 0;
        for (int l = 0; l < c.layers(); l++) {
            for (String role : roles) {
                String weight = "blk." + l + "." + role + ".weight";
                long[] shape = shape(c, role);
                Tensor a = RandomModels.gaussian(weight + ".lora_a", 1 / Math.sqrt(shape[1]), seed, stream++, r, shape[1]);
                Tensor b = RandomModels.gaussian(weight + ".lora_b", gain / Math.sqrt(r), seed, stream++, shape[0], r);
                pairs.put(weight, new LoraAdapter.Pair(a, b, alpha));
            }
        }
        return new LoraAdapter(GgufLayout.ggufArchitecture(c), false, pairs, Map.of(), Map.of());
    }

    /** [out, in] of a block projection. */
    public static long[] shape(DecoderConfig c, String role) {
        int h = c.hiddenSize();
        return switch (role) {
            case "attn_q" -> new long[] {c.qDim(), h};
            case "attn_k", "attn_v" -> new long[] {c.kvDim(), h};
            case "attn_output" -> new long[] {h, c.qDim()};
            case "ffn_gate", "ffn_up" -> new long[] {c.ffnSize(), h};
            case "ffn_down" -> new long[] {h, c.ffnSize()};
            default -> throw new IllegalArgumentException(role);
        };
    }
}

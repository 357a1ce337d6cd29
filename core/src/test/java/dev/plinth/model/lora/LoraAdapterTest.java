package dev.plinth.model.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.plinth.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoraAdapterTest {

    private static LoraAdapter.Pair pair(int r, float alpha) {
        return new LoraAdapter.Pair(Tensor.ofFloats("a", new float[r * 3], r, 3), Tensor.ofFloats("b", new float[2 * r], 2, r),
                alpha);
    }

    @Test
    void scaleIsAlphaOverRankOrOverItsRootWithRsLoraAndOneWithoutAlpha() {
        // PEFT tuners/lora/layer.py: scaling = lora_alpha / r, or lora_alpha / math.sqrt(r) with use_rslora;
        // llama.cpp llama-adapter.cpp: scale = alpha ? adapter_scale * alpha / rank : adapter_scale
        assertEquals(2f, pair(16, 32).scale(false));
        assertEquals(8f, pair(16, 32).scale(true));
        assertEquals(1f, pair(16, 0).scale(false));
        assertEquals(1f, pair(16, 0).scale(true));
    }

    @Test
    void pairsMustBeF32MatricesOfOneRank() {
        assertThrows(IllegalArgumentException.class, () -> new LoraAdapter.Pair(
                Tensor.ofFloats("a", new float[8], 4, 2), Tensor.ofFloats("b", new float[6], 2, 3), 8));
        assertThrows(IllegalArgumentException.class, () -> pair(4, Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> new LoraAdapter("llama", false, Map.of(), Map.of(), Map.of()));
        LoraAdapter one = new LoraAdapter("llama", false, Map.of("blk.0.attn_q.weight", pair(4, 8)), Map.of(), Map.of());
        assertEquals(2f, one.scale(one.pairs().get("blk.0.attn_q.weight")));
        assertEquals(4, one.pairs().get("blk.0.attn_q.weight").rank());
    }
}

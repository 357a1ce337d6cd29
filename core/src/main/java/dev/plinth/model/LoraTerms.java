package dev.plinth.model;

import dev.plinth.model.lora.LoraAdapter;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * The low-rank terms one sequence adds after the base products, by block and projection: for each
 * of its adapters with a non-zero scale and each pair, {@code A}, {@code B} in the base's row order and
 * {@code scale·alpha/r}.
 */
final class LoraTerms {
    /** The block projections an adapter may adapt, in GGUF's role names. */
    static final List<String> ROLES = List.of("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up",
            "ffn_down");
    static final int Q = 0, K = 1, V = 2, O = 3, GATE = 4, UP = 5, DOWN = 6;

    /** One adapter's pair on one projection: {@code y += scale·B·(A·x)}. */
    record Term(Tensor a, Tensor b, float scale) {
        int rank() {
            return (int) a.dim(0);
        }
    }

    private final Term[][] bySlot;

    private LoraTerms(Term[][] bySlot) {
        this.bySlot = bySlot;
    }

    /**
     * The terms of {@code adapters} (already checked against the base) for a base of {@code config};
     * {@code hfRows} when the base keeps its q/k rows in Hugging Face's order, so that each B is
     * reordered as its base weight is. Null when no adapter adds anything.
     */
    static LoraTerms of(List<AppliedAdapter> adapters, DecoderConfig config, boolean hfRows) {
        Term[][] bySlot = new Term[config.layers() * ROLES.size()][];
        boolean any = false;
        for (AppliedAdapter applied : adapters) {
            if (applied.scale() == 0) {
                continue;
            }
            for (var e : applied.adapter().pairs().entrySet()) {
                LoraAdapter.Pair p = e.getValue();
                Tensor b = hfRows ? floats(GgufLayout.toHfRows(config, e.getKey(), p.b())) : p.b();
                int slot = slot(e.getKey(), config.layers());
                Term[] old = bySlot[slot] == null ? new Term[0] : bySlot[slot];
                Term[] grown = Arrays.copyOf(old, old.length + 1);
                grown[old.length] = new Term(p.a(), b, applied.scale() * applied.adapter().scale(p));
                bySlot[slot] = grown;
                any = true;
            }
        }
        return any ? new LoraTerms(bySlot) : null;
    }

    /** The terms on projection {@code role} of block {@code layer}, or null. */
    Term[] terms(int layer, int role) {
        return bySlot[layer * ROLES.size() + role];
    }

    /** Where the GGUF weight {@code name} sits ({@code layer · roles + role}), or -1 when it is no block projection. */
    static int slot(String name, int layers) {
        if (!name.startsWith("blk.") || !name.endsWith(".weight")) {
            return -1;
        }
        String[] parts = name.split("\\.");
        if (parts.length != 4) {
            return -1;
        }
        int role = ROLES.indexOf(parts[2]);
        int layer;
        try {
            layer = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            return -1;
        }
        return role < 0 || layer < 0 || layer >= layers ? -1 : layer * ROLES.size() + role;
    }

    private static Tensor floats(Tensor t) {
        return Tensor.ofFloats(t.name(), t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED), t.shape());
    }
}

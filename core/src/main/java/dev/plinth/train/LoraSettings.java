package dev.plinth.train;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * How LoRA adapts a base: rank {@code r}, {@code alpha} (the product is scaled by {@code alpha/r},
 * or {@code alpha/√r} with rank-stabilised LoRA), dropout on the pair's input during training, and
 * the block projections it targets, by short name ({@link #ALL}).
 */
public record LoraSettings(int rank, double alpha, double dropout, List<String> targets, boolean rsLora) {

    /** Every linear layer of the blocks, as PEFT's {@code all-linear} (without the output matrix). */
    public static final List<String> ALL = List.of("q", "k", "v", "o", "gate", "up", "down");

    public LoraSettings {
        if (rank <= 0) {
            throw new IllegalArgumentException("LoRA rank must be positive, was " + rank);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("LoRA alpha must be positive, was " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("LoRA dropout must be in [0, 1), was " + dropout);
        }
        List<String> ordered = new ArrayList<>();
        LinkedHashSet<String> given = new LinkedHashSet<>();
        for (String t : targets) {
            String name = t.trim().toLowerCase(Locale.ROOT);
            if (!ALL.contains(name)) {
                throw new IllegalArgumentException("unknown LoRA target '" + t + "'; targets are " + String.join(",", ALL));
            }
            given.add(name);
        }
        if (given.isEmpty()) {
            throw new IllegalArgumentException("LoRA needs at least one target of " + String.join(",", ALL));
        }
        for (String t : ALL) {
            if (given.contains(t)) {
                ordered.add(t);
            }
        }
        targets = List.copyOf(ordered);
    }

    /** {@code alpha / r}, or {@code alpha / √r} with rsLoRA. */
    public float scale() {
        return (float) (rsLora ? alpha / Math.sqrt(rank) : alpha / rank);
    }

    /** The GGUF roles of the targets ({@code attn_q}, ...), in block order. */
    List<String> roles() {
        return targets.stream().map(t -> switch (t) {
            case "q" -> "attn_q";
            case "k" -> "attn_k";
            case "v" -> "attn_v";
            case "o" -> "attn_output";
            case "gate" -> "ffn_gate";
            case "up" -> "ffn_up";
            default -> "ffn_down";
        }).toList();
    }
}

package dev.plinth.model.convert;

import dev.plinth.tensor.DType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which type each tensor of a GGUF model gets when quantized to a {@link QuantType}: the rules of
 * llama.cpp's {@code llama_model_quantize_impl} and {@code llama_tensor_get_type} (no importance
 * matrix, no overrides, dense models), restricted to the types Plinth writes.
 *
 * <p>Only 2-D (or higher) tensors whose name ends in {@code weight} and not in {@code _norm.weight}
 * are quantized; the rest keep their type. With a block-quantized base type, the output matrix (or
 * the token embedding when the output is tied to it) gets Q6_K unless the base is Q8_0;
 * {@code attn_v} and {@code ffn_down} get Q6_K on the "more bits" layers of Q4_K_M and Q5_K_M; a
 * row length that is not a multiple of the chosen block falls back as llama.cpp does (Q4_K to
 * Q5_0, Q5_K to Q5_1, Q6_K to Q8_0, then F16). Where llama.cpp refuses (a legacy type whose block
 * does not divide the row), Plinth uses F16 instead of failing.
 */
public final class TypeRules {
    private static final Pattern LAYER = Pattern.compile("^blk\\.(-?\\d+)\\.");

    private TypeRules() {
    }

    /** A tensor as the rules see it: name, current type, row-major shape. */
    public record Source(String name, DType type, long[] shape) {
    }

    /**
     * The order llama.cpp's loader walks tensors in (and llama-quantize writes them): tensors
     * outside blocks first, then block by block, by name within each.
     */
    public static final Comparator<String> LLAMA_CPP_ORDER = Comparator
            .comparingInt(TypeRules::layerOf)
            .thenComparing(Comparator.naturalOrder());

    static int layerOf(String name) {
        Matcher m = LAYER.matcher(name);
        if (m.find()) {
            try {
                return Integer.parseInt(m.group(1));
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    /** The target type of every tensor, in {@link #LLAMA_CPP_ORDER}. */
    public static Map<String, DType> plan(List<Source> tensors, QuantType target, int layers) {
        List<Source> ordered = new ArrayList<>(tensors);
        ordered.sort(Comparator.comparing(Source::name, LLAMA_CPP_ORDER));
        boolean hasOutput = ordered.stream().anyMatch(s -> s.name().equals("output.weight"));
        int nAttnV = (int) ordered.stream().filter(s -> s.name().contains("attn_v.weight")).count();
        int iAttnV = 0;
        int iFfnDown = 0;
        Map<String, DType> plan = new LinkedHashMap<>();
        for (Source s : ordered) {
            DType type = s.type();
            if (quantizable(s)) {
                type = target.base();
                if (type.isQuantized()) {
                    String n = s.name();
                    if (n.equals("output.weight") || (!hasOutput && n.equals("token_embd.weight"))) {
                        type = outputType(s, type);
                    } else if (n.contains("attn_v.weight")) {
                        if (moreBitsMix(target) && useMoreBits(iAttnV, nAttnV)) {
                            type = DType.Q6_K;
                        }
                        iAttnV++;
                    } else if (n.contains("ffn_down")) {
                        if (moreBitsMix(target) && useMoreBits(iFfnDown, layers)) {
                            type = DType.Q6_K;
                        }
                        iFfnDown++;
                    }
                    type = fallback(s, type);
                }
            }
            plan.put(s.name(), type);
        }
        return plan;
    }

    private static boolean moreBitsMix(QuantType t) {
        return t == QuantType.Q4_K_M || t == QuantType.Q5_K_M;
    }

    /** llama.cpp's use_more_bits: the first and last eighth of the layers and every third between. */
    static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    static boolean quantizable(Source s) {
        return s.name().endsWith("weight") && s.shape().length >= 2 && !s.name().contains("_norm.weight")
                && !s.name().contains("ffn_gate_inp.weight") && !s.name().equals("position_embd.weight")
                && !s.name().equals("token_types.weight");
    }

    private static DType outputType(Source s, DType base) {
        if (rowLength(s) % DType.Q6_K.blockSize() != 0) {
            return DType.Q8_0;
        }
        return base == DType.Q8_0 ? DType.Q8_0 : DType.Q6_K;
    }

    private static DType fallback(Source s, DType type) {
        long n = rowLength(s);
        if (n % type.blockSize() == 0) {
            return type;
        }
        DType next = switch (type) {
            case Q4_K -> DType.Q5_0;
            case Q5_K -> DType.Q5_1;
            case Q6_K -> DType.Q8_0;
            default -> DType.F16; // llama.cpp stops here ("Unsupported tensor size encountered")
        };
        return n % next.blockSize() == 0 ? next : DType.F16;
    }

    private static long rowLength(Source s) {
        return s.shape()[s.shape().length - 1];
    }
}

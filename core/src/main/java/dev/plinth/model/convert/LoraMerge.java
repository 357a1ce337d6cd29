package dev.plinth.model.convert;

import dev.plinth.model.lora.LoraAdapter;
import dev.plinth.model.AppliedAdapter;
import dev.plinth.model.DecoderModel;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.MatMul;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;

/**
 * Adapters merged into a base: {@code W' = W + Σ scale·(alpha/r)·B·A} for every adapted weight, in
 * F32 (a quantized base is dequantized first), the result typed as {@code plinth quantize} types a
 * model. The merged base gives the logits the unmerged base gives with the same adapters applied at
 * run time, to float rounding.
 */
public final class LoraMerge {
    private LoraMerge() {
    }

    /**
     * Writes {@code base} (anything {@link ModelConverter#convert} reads; {@code tokenizer} as there)
     * with {@code adapters} merged as the GGUF file {@code out}, its matrices in {@code type}. The
     * adapters are checked against the base first ({@link DecoderModel#check}).
     */
    public static void writeGguf(Path base, Path tokenizer, List<AppliedAdapter> adapters, Path out, QuantType type,
                                 GgufQuantizer.Listener listener) throws IOException {
        try (DecoderModel model = DecoderModel.open(base)) {
            adapters.forEach(model::check);
        }
        ModelConverter.convert(base, tokenizer, out, type, t -> merged(t, adapters), listener);
    }

    /**
     * {@code weight} (a base tensor under its GGUF name, rows in GGUF's order, any dtype) plus every
     * adapter's pair on it, as a heap F32 tensor; {@code weight} itself when no adapter adapts it.
     */
    public static Tensor merged(Tensor weight, List<AppliedAdapter> adapters) {
        float[] w = null;
        for (AppliedAdapter applied : adapters) {
            LoraAdapter.Pair p = applied.adapter().pairs().get(weight.name());
            if (p == null || applied.scale() == 0) {
                continue;
            }
            if (w == null) {
                w = (weight.dtype() == DType.F32 ? weight : Quantization.toF32(weight)).data()
                        .toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
            }
            float[] scaledB = p.b().data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
            float scale = applied.scale() * applied.adapter().scale(p);
            for (int i = 0; i < scaledB.length; i++) {
                scaledB[i] *= scale;
            }
            float[] a = p.a().data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
            MatMul.gemm(false, false, scaledB, a, w, (int) p.outputs(), (int) p.inputs(), p.rank(), true);
        }
        return w == null ? weight : Tensor.ofFloats(weight.name(), w, weight.shape());
    }
}

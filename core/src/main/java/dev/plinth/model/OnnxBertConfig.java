package dev.plinth.model;

import dev.plinth.io.ModelFormatException;
import dev.plinth.io.onnx.OnnxModel;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.HalfFloat;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link BertConfig} read off an ONNX export: sizes from the initializers' shapes, the head
 * count from the attention scores' divisor (a constant {@code sqrt(headDim)}) and the LayerNorm
 * epsilon from the constant added to the variance.
 */
final class OnnxBertConfig {
    private static final Pattern LAYER = Pattern.compile("(?:bert\\.)?encoder\\.layer\\.(\\d+)\\..*");

    private OnnxBertConfig() {
    }

    static BertConfig derive(OnnxModel onnx) throws ModelFormatException {
        Tensor word = need(onnx, "embeddings.word_embeddings.weight");
        Tensor pos = need(onnx, "embeddings.position_embeddings.weight");
        Tensor types = need(onnx, "embeddings.token_type_embeddings.weight");
        Tensor inter = need(onnx, "encoder.layer.0.intermediate.dense.bias");
        int layers = 0;
        for (String name : onnx.initializers().keySet()) {
            Matcher m = LAYER.matcher(name);
            if (m.matches() && m.group(1).length() < 6) {
                layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
            }
        }
        Map<String, OnnxModel.Node> producer = new HashMap<>();
        for (OnnxModel.Node n : onnx.nodes()) {
            for (String out : n.outputs()) {
                producer.put(out, n);
            }
        }
        int hidden = (int) word.dim(1);
        int headDim = headDim(onnx, producer);
        if (headDim <= 0 || hidden % headDim != 0) {
            throw new ModelFormatException(onnx.file(), "attention scale", -1,
                    "cannot tell the head count from the graph; put the model's config.json beside the .onnx file");
        }
        try {
            return new BertConfig((int) word.dim(0), hidden, layers, hidden / headDim, (int) inter.dim(0),
                    (int) pos.dim(0), (int) types.dim(0), layerNormEps(onnx, producer));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(onnx.file(), null, -1, "not a usable BERT graph: " + e.getMessage(), e);
        }
    }

    /** The scores MatMul (two computed inputs) is divided by a Constant sqrt(headDim). */
    private static int headDim(OnnxModel onnx, Map<String, OnnxModel.Node> producer) {
        for (OnnxModel.Node n : onnx.nodes()) {
            if (!n.opType().equals("Div") || n.inputs().size() != 2) {
                continue;
            }
            OnnxModel.Node mm = producer.get(n.inputs().get(0));
            if (mm == null || !mm.opType().equals("MatMul") || mm.inputs().stream().anyMatch(i -> onnx.initializer(i) != null)) {
                continue;
            }
            float divisor = scalar(onnx, producer, n.inputs().get(1));
            if (divisor > 0) {
                return Math.round(divisor * divisor);
            }
        }
        return -1;
    }

    /** Decomposed LayerNorm: Add(ReduceMean(Pow(x - mean, 2)), eps) feeds Sqrt. */
    private static float layerNormEps(OnnxModel onnx, Map<String, OnnxModel.Node> producer) {
        for (OnnxModel.Node n : onnx.nodes()) {
            if (n.opType().equals("LayerNormalization") && n.attributes().containsKey("epsilon")) {
                return n.attributes().get("epsilon").f();
            }
            if (!n.opType().equals("Sqrt") || n.inputs().isEmpty()) {
                continue;
            }
            OnnxModel.Node add = producer.get(n.inputs().get(0));
            if (add != null && add.opType().equals("Add") && add.inputs().size() == 2) {
                OnnxModel.Node mean = producer.get(add.inputs().get(0));
                if (mean != null && mean.opType().equals("ReduceMean")) {
                    float eps = scalar(onnx, producer, add.inputs().get(1));
                    if (eps > 0) {
                        return eps;
                    }
                }
            }
        }
        return 1e-12f;
    }

    /** The value of a one-element float constant (Constant node or initializer), or NaN. */
    private static float scalar(OnnxModel onnx, Map<String, OnnxModel.Node> producer, String name) {
        Tensor t = onnx.initializer(name);
        OnnxModel.Node c = producer.get(name);
        if (t == null && c != null && c.opType().equals("Constant") && c.attributes().containsKey("value")) {
            t = c.attributes().get("value").t();
        }
        if (t == null || t.elementCount() != 1 || !(t.dtype() == DType.F32 || t.dtype() == DType.F16)) {
            return Float.NaN;
        }
        MemorySegment data = t.data();
        if (data.byteSize() < t.dtype().byteSize(1)) {
            return Float.NaN;
        }
        return t.dtype() == DType.F32 ? data.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0)
                : HalfFloat.f16ToF32(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0));
    }

    private static Tensor need(OnnxModel onnx, String name) throws ModelFormatException {
        Tensor t = onnx.initializer(name);
        if (t == null) {
            t = onnx.initializer("bert." + name);
        }
        if (t == null) {
            throw new ModelFormatException(onnx.file(), name, -1, "initializer missing: not a BERT export");
        }
        return t;
    }
}

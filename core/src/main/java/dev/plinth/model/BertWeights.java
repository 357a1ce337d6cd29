package dev.plinth.model;

import dev.plinth.io.ModelFormatException;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.onnx.OnnxModel;
import dev.plinth.io.safetensors.SafetensorsModel;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds a BERT weight by its Hugging Face name ({@code encoder.layer.3.attention.self.query.weight},
 * without the {@code bert.} prefix) in some file, in Hugging Face layout: linear weights
 * {@code [out, in]}.
 */
interface BertWeights {

    /** The tensor, or null when the file has none of that name. */
    Tensor get(String hfName) throws ModelFormatException;

    /** Where the weights come from, for messages. */
    Path file();

    static BertWeights of(SafetensorsModel st, Path file) {
        return new BertWeights() {
            @Override
            public Tensor get(String name) {
                Tensor t = st.tensor(name);
                return t != null ? t : st.tensor("bert." + name);
            }

            @Override
            public Path file() {
                return file;
            }
        };
    }

    static BertWeights of(GgufFile g) {
        return new BertWeights() {
            @Override
            public Tensor get(String name) {
                String gguf = ggufName(name);
                return gguf == null ? null : g.tensor(gguf);
            }

            @Override
            public Path file() {
                return g.path();
            }
        };
    }

    Pattern LAYER = Pattern.compile("encoder\\.layer\\.(\\d+)\\.(.+)\\.(weight|bias)");

    /** llama.cpp's names for BERT tensors (convert_hf_to_gguf.py's BERT mapping). */
    static String ggufName(String hf) {
        switch (hf) {
            case "embeddings.word_embeddings.weight":
                return "token_embd.weight";
            case "embeddings.position_embeddings.weight":
                return "position_embd.weight";
            case "embeddings.token_type_embeddings.weight":
                return "token_types.weight";
            case "embeddings.LayerNorm.weight":
                return "token_embd_norm.weight";
            case "embeddings.LayerNorm.bias":
                return "token_embd_norm.bias";
            default:
                break;
        }
        Matcher m = LAYER.matcher(hf);
        if (!m.matches()) {
            return null;
        }
        String part = switch (m.group(2)) {
            case "attention.self.query" -> "attn_q";
            case "attention.self.key" -> "attn_k";
            case "attention.self.value" -> "attn_v";
            case "attention.output.dense" -> "attn_output";
            case "attention.output.LayerNorm" -> "attn_output_norm";
            case "intermediate.dense" -> "ffn_up";
            case "output.dense" -> "ffn_down";
            case "output.LayerNorm" -> "layer_output_norm";
            default -> null;
        };
        return part == null ? null : "blk." + m.group(1) + "." + part + "." + m.group(3);
    }

    /**
     * ONNX exports from PyTorch keep the names of biases and norms but store each linear weight as
     * a generic {@code onnx::MatMul_N} initializer, transposed ({@code [in, out]}), consumed by a
     * MatMul node whose output goes to an Add with the layer's named bias. Follow that edge (or,
     * failing it, the node's name, {@code /encoder/layer.0/attention/self/query/MatMul}) back to
     * the Hugging Face name, and transpose on load.
     */
    static BertWeights of(OnnxModel onnx) {
        Map<String, String> matmulWeights = onnxMatMulNames(onnx);
        return new BertWeights() {
            @Override
            public Tensor get(String name) throws ModelFormatException {
                Tensor t = onnx.initializer(name);
                if (t == null) {
                    t = onnx.initializer("bert." + name);
                }
                if (t != null) {
                    return t;
                }
                String generic = matmulWeights.get(name);
                return generic == null ? null : transpose(onnx.file(), onnx.initializer(generic), name);
            }

            @Override
            public Path file() {
                return onnx.file();
            }
        };
    }

    private static Map<String, String> onnxMatMulNames(OnnxModel onnx) {
        Map<String, OnnxModel.Node> consumerOf = new HashMap<>();
        for (OnnxModel.Node n : onnx.nodes()) {
            if (n.opType().equals("Add")) {
                for (String in : n.inputs()) {
                    consumerOf.put(in, n);
                }
            }
        }
        Map<String, String> names = new HashMap<>();
        for (OnnxModel.Node n : onnx.nodes()) {
            if (!n.opType().equals("MatMul") || n.inputs().size() != 2 || n.outputs().isEmpty()) {
                continue;
            }
            String weight = n.inputs().get(1);
            Tensor w = onnx.initializer(weight);
            if (w == null || w.rank() != 2) {
                continue;
            }
            String hf = null;
            OnnxModel.Node add = consumerOf.get(n.outputs().get(0));
            if (add != null) {
                for (String in : add.inputs()) {
                    if (in.endsWith(".bias") && onnx.initializer(in) != null) {
                        hf = in.substring(0, in.length() - ".bias".length()) + ".weight";
                    }
                }
            }
            if (hf == null && n.name().endsWith("/MatMul")) {
                String path = n.name().substring(n.name().startsWith("/") ? 1 : 0, n.name().length() - "/MatMul".length());
                hf = path.replace('/', '.') + ".weight";
            }
            if (hf != null) {
                names.put(hf.startsWith("bert.") ? hf.substring(5) : hf, weight);
            }
        }
        return names;
    }

    private static Tensor transpose(Path file, Tensor w, String name) throws ModelFormatException {
        if (w.dtype() != DType.F32 && w.dtype() != DType.F16 && w.dtype() != DType.BF16) {
            throw new ModelFormatException(file, w.name(), -1, "MatMul weight of type " + w.dtype() + " is not supported");
        }
        Tensor f = Quantization.toF32(w);
        int in = (int) w.dim(0);
        int out = (int) w.dim(1);
        float[] src = new float[in * out];
        MemorySegment.copy(f.data(), ValueLayout.JAVA_FLOAT_UNALIGNED, 0, src, 0, src.length);
        float[] dst = new float[src.length];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                dst[o * in + i] = src[i * out + o];
            }
        }
        return Tensor.ofFloats(name, dst, out, in);
    }
}

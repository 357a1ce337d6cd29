package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.gguf.GgufWriter;
import dev.plinth.io.onnx.OnnxModel;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Tensor;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * all-MiniLM-L6-v2 rendered as llama.cpp's BERT GGUF (F16 matrices and embeddings, F32 norms and
 * biases, bert.* metadata) loads through the GGUF path and embeds as the ONNX-loaded F32 model does,
 * up to F16 rounding of the weights.
 */
class MiniLmGgufTest {
    @TempDir
    static Path dir;

    @Test
    void f16GgufEmbedsLikeTheOnnxWeights() throws Exception {
        Path onnxFile = MiniLmConformanceTest.resource(dir, "all-minilm-l6-v2.onnx");
        Tokenizer tok = Tokenizers.fromTokenizerJson(MiniLmConformanceTest.resource(dir, "all-minilm-l6-v2-tokenizer.json"));
        Path gguf = dir.resolve("minilm-f16.gguf");
        try (OnnxModel onnx = OnnxModel.open(onnxFile)) {
            BertWeights w = BertWeights.of(onnx);
            GgufWriter out = new GgufWriter()
                    .put("general.architecture", GgufValue.of("bert"))
                    .put("bert.embedding_length", GgufValue.ofUint32(384))
                    .put("bert.block_count", GgufValue.ofUint32(6))
                    .put("bert.attention.head_count", GgufValue.ofUint32(12))
                    .put("bert.feed_forward_length", GgufValue.ofUint32(1536))
                    .put("bert.context_length", GgufValue.ofUint32(512))
                    .put("bert.attention.layer_norm_epsilon", GgufValue.ofFloat32(1e-12f));
            for (String hf : hfNames()) {
                Tensor t = w.get(hf);
                Tensor f32 = t.dtype() == DType.F32 ? t : Quantization.toF32(t);
                Tensor stored = f32.rank() == 2 && !hf.startsWith("embeddings.token_type")
                        ? Quantization.quantize(Quantization.toF32(f32), DType.F16) : Quantization.toF32(f32);
                out.add(new Tensor(BertWeights.ggufName(hf), stored.dtype(), stored.shape(), stored.data()));
            }
            out.write(gguf);
        }
        List<String> texts = MiniLmConformanceTest.sentences().subList(0, 24);
        try (BertModel a = BertModel.load(onnxFile); BertModel b = BertModel.load(gguf)) {
            assertEquals(a.config(), b.config());
            float[][] ea = Embedder.meanNormalized(a, tok).embed(texts);
            float[][] eb = Embedder.meanNormalized(b, tok).embed(texts);
            double min = 1;
            for (int i = 0; i < texts.size(); i++) {
                min = Math.min(min, MiniLmConformanceTest.cosine(ea[i], eb[i]));
            }
            System.out.printf("all-MiniLM-L6-v2 F16 GGUF vs F32 ONNX weights: min cosine %.8f over %d sentences%n",
                    min, texts.size());
            assertTrue(min >= 0.999, "min cosine " + min);
        }
    }

    static List<String> hfNames() {
        List<String> names = new ArrayList<>(List.of("embeddings.word_embeddings.weight",
                "embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight",
                "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"));
        for (int l = 0; l < 6; l++) {
            for (String part : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense", "output.dense",
                    "output.LayerNorm")) {
                names.add("encoder.layer." + l + "." + part + ".weight");
                names.add("encoder.layer." + l + "." + part + ".bias");
            }
        }
        return names;
    }
}

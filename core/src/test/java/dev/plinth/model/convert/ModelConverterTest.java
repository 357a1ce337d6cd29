package dev.plinth.model.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.DecoderModel;
import dev.plinth.model.GgufLayout;
import dev.plinth.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import dev.plinth.text.ConformanceStrings;
import dev.plinth.text.GgufTokenizerMetadata;
import dev.plinth.text.LlamaCppReference;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

class ModelConverterTest {
    @TempDir
    Path dir;

    /**
     * stories260K.gguf was made by llama.cpp's convert-llama2c-to-ggml from stories260K.bin and
     * tok512.bin: Plinth's conversion of the same pair holds the same metadata values and tensors,
     * byte for byte.
     */
    @Test
    void llama2cConversionMatchesLlamaCppsConverter() throws Exception {
        Path models = SharedData.require("models/stories260K");
        Path out = dir.resolve("stories.gguf");
        ModelConverter.convert(models.resolve("stories260K.bin"), models.resolve("tok512.bin"), out, QuantType.F32,
                GgufQuantizer.Listener.NONE);
        try (GgufFile ours = GgufFile.open(out); GgufFile ref = GgufFile.open(models.resolve("stories260K.gguf"))) {
            for (Map.Entry<String, GgufValue> e : ref.metadata().entrySet()) {
                if (e.getKey().endsWith("seperator_token_id") || e.getKey().endsWith("padding_token_id")) {
                    continue; // written as -1 (none) by the llama.cpp tool; absent means the same
                }
                if (e.getKey().equals("llama.context_length")) {
                    // llama.cpp's tool writes its --ctx option (default 128); Plinth the checkpoint's seq_len
                    assertEquals(512L, ours.getLong(e.getKey(), -1));
                    continue;
                }
                assertEquals(e.getValue(), ours.metadata().get(e.getKey()), e.getKey());
            }
            assertEquals(ref.tensorInfos().size(), ours.tensorInfos().size());
            for (GgufFile.TensorInfo t : ref.tensorInfos()) {
                Tensor a = ref.tensor(t);
                Tensor b = ours.tensor(t.name());
                assertArrayEquals(a.shape(), b.shape(), t.name());
                assertEquals(a.dtype(), b.dtype(), t.name());
                assertEquals(-1L, a.data().mismatch(b.data()), t.name());
            }
            assertEquals(0L, ours.getLong("general.file_type", -1));
        }
    }

    /**
     * The Hugging Face folder of a random model (transformers' names, q/k rows in the rotate-half
     * layout) converts to the tensors of the same model's GGUF, and Plinth's decoder gives the same
     * logits on the folder and on the GGUF (Plinth's decoder is checked against llama.cpp elsewhere).
     */
    @Test
    void huggingFaceFolderConvertsBackToTheGguf() throws Exception {
        DecoderConfig c = DecoderConfig.builder("llama").hiddenSize(64).layers(2).heads(4).kvHeads(2).ffnSize(128)
                .vocabSize(300).contextLength(64).build();
        Path gguf = dir.resolve("random.gguf");
        RandomModels.Builder random = RandomModels.builder(c).seed(5);
        random.writeGguf(gguf);
        Path hf = dir.resolve("hf");
        random.writeHuggingFace(hf);
        Files.writeString(hf.resolve("tokenizer_config.json"), "{\"chat_template\": \"{{ messages }}\"}");
        Path back = dir.resolve("back.gguf");
        ModelConverter.convert(hf, null, back, QuantType.F32, GgufQuantizer.Listener.NONE);
        try (GgufFile a = GgufFile.open(gguf); GgufFile b = GgufFile.open(back)) {
            assertEquals(a.tensorInfos().size(), b.tensorInfos().size());
            for (GgufFile.TensorInfo t : a.tensorInfos()) {
                assertEquals(-1L, a.tensor(t).data().mismatch(b.tensor(t.name()).data()), t.name());
            }
            for (String k : List.of("llama.embedding_length", "llama.block_count", "llama.feed_forward_length",
                    "llama.attention.head_count", "llama.attention.head_count_kv", "llama.rope.freq_base",
                    "llama.context_length", "llama.attention.layer_norm_rms_epsilon", "llama.rope.dimension_count")) {
                assertEquals(a.metadata().get(k), b.metadata().get(k), k);
            }
            assertEquals("{{ messages }}", b.getString("tokenizer.chat_template", null));
        }
        int[] prompt = {1, 17, 99, 250, 3};
        try (DecoderModel fromGguf = DecoderModel.open(gguf); DecoderModel fromHf = DecoderModel.open(hf)) {
            float[] x = fromGguf.forward(fromGguf.newSession(16), prompt);
            float[] y = fromHf.forward(fromHf.newSession(16), prompt);
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i], y[i], 1e-4f * (1 + Math.abs(x[i])), "logit " + i);
            }
        }
    }

    /**
     * A Hugging Face folder with a real tokenizer.json (llama-spm exported by Plinth, SentencePiece
     * style; fake-gpt2's, byte-level) converts to a GGUF whose vocabulary llama.cpp loads and
     * tokenizes as Plinth's GGUF tokenizer does on the conformance strings.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tokenizer-vectors/ggml-vocab-llama-spm.gguf", "models/fake-gpt2/tokenizer.json"})
    void huggingFaceFolderCarriesItsTokenizer(String source) throws Throwable {
        Path hf = Files.createDirectory(dir.resolve("hf"));
        Path src = SharedData.require(source);
        if (source.endsWith(".gguf")) {
            try (GgufFile v = GgufFile.open(src)) {
                Tokenizers.writeSpmTokenizerJson(v, hf.resolve("tokenizer.json"));
            }
            Files.writeString(hf.resolve("tokenizer_config.json"), """
                    {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "add_bos_token": true,
                     "add_eos_token": false, "chat_template": "{{ messages }}"}""");
        } else {
            Files.copy(src, hf.resolve("tokenizer.json"));
            Files.copy(src.resolveSibling("tokenizer_config.json"), hf.resolve("tokenizer_config.json"));
        }
        int vocab = GgufTokenizerMetadata.fromTokenizerJson(hf.resolve("tokenizer.json"))
                .get("tokenizer.ggml.tokens").asArray().size();
        DecoderConfig c = DecoderConfig.builder("llama").hiddenSize(32).layers(1).heads(2).kvHeads(1).ffnSize(64)
                .vocabSize(vocab).contextLength(64).build();
        RandomModels.builder(c).seed(7).writeHuggingFace(hf);
        Path back = dir.resolve("back.gguf");
        ModelConverter.convert(hf, null, back, QuantType.F32, GgufQuantizer.Listener.NONE);
        List<String> inputs = ConformanceStrings.sample(300);
        int same = 0;
        try (GgufFile b = GgufFile.open(back); LlamaCppReference llama = LlamaCppReference.load(back)) {
            Tokenizer plinth = Tokenizers.fromGguf(b);
            assertEquals(vocab, plinth.vocabSize());
            for (String s : inputs) {
                boolean ok = true;
                for (boolean special : new boolean[] {false, true}) {
                    ok &= java.util.Arrays.equals(llama.encode(s, special, special), plinth.encode(s, special, special));
                }
                same += ok ? 1 : 0;
            }
        }
        System.out.printf("converted HF folder with %s: llama.cpp vs Plinth on the GGUF: %d/%d strings identical%n",
                src.getFileName(), same, inputs.size());
        assertEquals(inputs.size(), same);
    }

    @Test
    void unpermuteInvertsTheRotateHalfLayout() {
        float[] rows = new float[8 * 3];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = i / 3; // every element names its row
        }
        Tensor t = GgufLayout.toInterleaved(Tensor.ofFloats("q", rows, 8, 3), 2);
        // head 0: rows 0..3 are (pair 0 first, pair 1 first, pair 0 second, pair 1 second)
        float[] got = Quantize.floats(t);
        float[] expected = {0, 2, 1, 3, 4, 6, 5, 7};
        for (int r = 0; r < 8; r++) {
            assertEquals(expected[r], got[r * 3], "row " + r);
        }
        float[] back = Quantize.floats(GgufLayout.toRotateHalf(t, 2));
        assertArrayEquals(rows, back, "toRotateHalf undoes toInterleaved");
    }

    private static final class Quantize {
        static float[] floats(Tensor t) {
            return t.data().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED);
        }
    }
}

package dev.plinth.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.LlamaCppLibrary;
import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.DecoderModel;
import dev.plinth.model.LlamaCppRunner;
import dev.plinth.model.UnsupportedModelException;
import dev.plinth.model.convert.QuantType;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.autograd.Tape;
import dev.plinth.tensor.autograd.Variable;
import dev.plinth.text.BpeTrainer;
import dev.plinth.text.ByteLevelBpeTokenizer;
import dev.plinth.text.ChatMl;
import dev.plinth.text.ConformanceStrings;
import dev.plinth.text.HfReference;
import dev.plinth.text.LlamaCppReference;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A base exported to GGUF and to a Hugging Face folder, checked against the decoder it came from,
 * against llama.cpp (logits, greedy tokens, tokenization) and against Hugging Face tokenizers.
 * The base: a byte-level BPE tokenizer trained here (400 tokens, ChatML specials), a llama of
 * hidden 32, 2 layers, 4 heads over 2 KV heads, its embedding padded by 3 rows beyond the
 * tokenizer, weights scaled so that logits spread, then 2 AdamW steps.
 */
class BaseExportTest {
    private static final List<String> SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
    private static final int PAD_ROWS = 3;

    @TempDir
    static Path shared;
    @TempDir
    Path dir;

    private static Path tokenizerJson;
    private static Tokenizer tokenizer;
    private static TrainableDecoder tied;
    private static TrainableDecoder untied;
    private static int[] prompt;

    @BeforeAll
    static void trainTokenizerAndBases() throws IOException {
        ByteLevelBpeTokenizer trained = new BpeTrainer(400, "gpt-2", SPECIALS, 2, null)
                .train(ConformanceStrings.sample(2000));
        tokenizerJson = shared.resolve("tokenizer.json");
        BpeTrainer.writeTokenizerJson(trained, tokenizerJson);
        tokenizer = Tokenizers.fromTokenizerJson(tokenizerJson);
        prompt = tokenizer.encode("<|im_start|>user\nThe quick brown fox jumps over the lazy dog.<|im_end|>\n",
                false, true);
        assertTrue(prompt.length >= 12 && prompt.length <= 40, "prompt of " + prompt.length + " tokens");
        tied = base(true, 1);
        untied = base(false, 2);
    }

    private static TrainableDecoder base(boolean tiedEmbeddings, long seed) throws IOException {
        var config = DecoderConfig.builder("llama").hiddenSize(32).layers(2).heads(4).kvHeads(2).ffnSize(64)
                .vocabSize(tokenizer.vocabSize() + PAD_ROWS).contextLength(64).build();
        Path gguf = shared.resolve("init-" + tiedEmbeddings + ".gguf");
        RandomModels.builder(config).tiedEmbeddings(tiedEmbeddings).seed(seed).writeGguf(gguf);
        TrainableDecoder m;
        try (ModelFile f = ModelFiles.open(gguf)) {
            m = TrainableDecoder.of(f);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Variable p : m.parameters().values()) {
            float[] w = p.data();
            for (int i = 0; i < w.length; i++) {
                w[i] = p.name().endsWith("norm.weight") ? (float) (0.5 + rnd.nextDouble()) : w[i] * 8;
            }
        }
        AdamW opt = new AdamW(m.parameters().values(), AdamW.Settings.defaults(), AdamW.decayMatrices(true));
        List<String> texts = ConformanceStrings.sample(64, seed);
        for (int step = 0; step < 2; step++) {
            int[][] in = new int[2][16];
            int[][] target = new int[2][16];
            for (int b = 0; b < 2; b++) {
                int[] ids = longEnough(texts, step * 2 + b, 17);
                in[b] = Arrays.copyOf(ids, 16);
                target[b] = Arrays.copyOfRange(ids, 1, 17);
            }
            m.zeroGrad();
            Tape tape = new Tape();
            tape.backward(m.loss(tape, in, target, -100));
            opt.step(1e-2);
        }
        return m;
    }

    /** Token ids of consecutive sample strings, concatenated until there are {@code n}. */
    private static int[] longEnough(List<String> texts, int from, int n) {
        List<Integer> ids = new ArrayList<>();
        for (int i = from; ids.size() < n; i++) {
            for (int id : tokenizer.encode(texts.get(i % texts.size()), false, false)) {
                ids.add(id);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).limit(n).toArray();
    }

    private static float[] trainableLogits(TrainableDecoder m, int[] tokens) {
        return m.logits(new Tape(), new int[][] {tokens}).data();
    }

    private static float[] plinthLogits(Path model, int[] tokens) throws IOException {
        try (DecoderModel m = DecoderModel.open(model)) {
            return m.forwardAll(m.newSession(64), tokens);
        }
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    /** (a) Plinth's decoder on the F32 GGUF gives the trainable decoder's logits at every position. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void ggufF32GivesTheTrainedLogits(boolean tiedEmbeddings) throws IOException {
        TrainableDecoder m = tiedEmbeddings ? tied : untied;
        Path gguf = dir.resolve("base.gguf");
        BaseExport.writeGguf(m, tokenizerJson, gguf, QuantType.F32);
        float[] expected = trainableLogits(m, prompt);
        float[] got = plinthLogits(gguf, prompt);
        float diff = maxAbsDiff(expected, got);
        System.out.printf("export tied=%s: GGUF F32 vs trainable decoder, %d logits, max |diff| %.2e, logit std %.3f%n",
                tiedEmbeddings, got.length, diff, std(expected));
        assertTrue(std(expected) > 0.3, "logits spread enough to make the comparison mean something");
        assertTrue(diff <= 1e-4f, "max |diff| " + diff);
        try (GgufFile g = GgufFile.open(gguf)) {
            assertEquals("llama", g.getString("general.architecture", null));
            assertEquals(ChatMl.TEMPLATE, g.getString("tokenizer.chat_template", null));
            assertEquals(tiedEmbeddings, g.tensorInfo("output.weight") == null);
            assertEquals(DType.F32, g.tensorInfo("blk.0.attn_q.weight").dtype());
            Tokenizer fromGguf = Tokenizers.fromGguf(g);
            assertEquals(m.config().vocabSize(), fromGguf.vocabSize(), "vocabulary padded to the embedding's rows");
            assertEquals(eos(), fromGguf.eosId(), "eos is the first special token");
            for (String s : ConformanceStrings.sample(300)) {
                assertArrayEquals(tokenizer.encode(s, true, true), fromGguf.encode(s, true, true), s);
            }
        }
    }

    /** An F16 export: matrices F16, norms F32; Plinth's logits within F16 rounding of the trained ones. */
    @Test
    void ggufF16HalvesTheMatrices() throws IOException {
        Path gguf = dir.resolve("new/folder/base-f16.gguf");
        BaseExport.writeGguf(untied, tokenizerJson, gguf, QuantType.F16);
        try (GgufFile g = GgufFile.open(gguf)) {
            assertEquals(DType.F16, g.tensorInfo("blk.1.ffn_down.weight").dtype());
            assertEquals(DType.F16, g.tensorInfo("token_embd.weight").dtype());
            assertEquals(DType.F32, g.tensorInfo("blk.1.ffn_norm.weight").dtype());
            assertEquals(1, g.getLong("general.file_type", -1));
        }
        float diff = maxAbsDiff(trainableLogits(untied, prompt), plinthLogits(gguf, prompt));
        System.out.printf("export: GGUF F16 vs trainable decoder, max |diff| %.2e%n", diff);
        assertTrue(diff <= 2e-2f, "max |diff| " + diff);
    }

    /**
     * (b) llama.cpp loads the GGUF: its next-token log-probabilities after the prompt agree with
     * Plinth's over llama.cpp's top 100, greedy continuations are identical, and it tokenizes as
     * Plinth's tokenizer of the tokenizer.json does.
     */
    @ParameterizedTest
    @ValueSource(strings = {"f32", "f16"})
    void llamaCppAgreesOnTheGguf(String type) throws Throwable {
        Path gguf = dir.resolve("base-" + type + ".gguf");
        BaseExport.writeGguf(untied, tokenizerJson, gguf, QuantType.parse(type));
        float[] ours;
        int[] ourGreedy;
        try (DecoderModel m = DecoderModel.open(gguf)) {
            m.setF16ActivationRounding(LlamaCppLibrary.roundsF16Activations());
            ours = m.forward(m.newSession(64), prompt);
            ourGreedy = m.generateGreedy(prompt, 20, -1);
        }
        float[] theirs;
        int[] theirGreedy = new int[20];
        try (LlamaCppRunner llama = new LlamaCppRunner(gguf, 64, 1)) {
            assertEquals(untied.config().vocabSize(), llama.vocabSize());
            theirs = llama.decode(prompt);
            float[] logits = theirs;
            for (int i = 0; i < theirGreedy.length; i++) {
                theirGreedy[i] = DecoderModel.argmax(logits);
                logits = llama.decode(new int[] {theirGreedy[i]});
            }
        }
        double[] a = logSoftmax(theirs);
        double[] b = logSoftmax(ours);
        Integer[] order = IntStream.range(0, a.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> -a[i]));
        double max = 0;
        for (int r = 0; r < 100; r++) {
            max = Math.max(max, Math.abs(a[order[r]] - b[order[r]]));
        }
        System.out.printf("export %s: llama.cpp vs Plinth on the GGUF, max |diff log p| over top 100 %.2e, greedy %s%n",
                type, max, Arrays.toString(ourGreedy));
        // measured against the haswell and zen4 variants, times a margin: F32 1.35e-6 x 4 (float rounding
        // only); F16 7.55e-4 x 2, Plinth rounding activations to F16 as llama.cpp does (2.17e-3 without):
        // activations a last bit apart still round to neighbouring halves now and then
        double tolerance = type.equals("f32") ? 1.4e-6 * 4 : 7.6e-4 * 2;
        assertTrue(max <= tolerance, "max |diff log p| " + max);
        assertArrayEquals(theirGreedy, ourGreedy, "greedy continuation");
        if (!type.equals("f32")) {
            return; // same tokenizer metadata in every type
        }

        List<String> texts = new ArrayList<>(ConformanceStrings.sample(500));
        texts.add("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n");
        texts.add("end of one text<|endoftext|>and the next");
        int same = 0;
        try (LlamaCppReference ref = LlamaCppReference.load(gguf)) {
            for (String s : texts) {
                for (boolean special : new boolean[] {false, true}) {
                    assertArrayEquals(ref.encode(s, special, special), tokenizer.encode(s, special, special),
                            "tokens of '" + s + "' (special " + special + ")");
                }
                same++;
            }
        }
        System.out.printf("export %s: llama.cpp tokenizes %d/%d strings as Plinth%n", type, same, texts.size());
    }

    /** (c) The Hugging Face folder: Plinth gives the GGUF's logits; config and tensor names as transformers writes them. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void huggingFaceFolderGivesTheGgufLogits(boolean tiedEmbeddings) throws IOException {
        TrainableDecoder m = tiedEmbeddings ? tied : untied;
        Path gguf = dir.resolve("base.gguf");
        Path hf = dir.resolve("hf");
        BaseExport.writeGguf(m, tokenizerJson, gguf, QuantType.F32);
        BaseExport.writeHuggingFace(m, tokenizerJson, hf);
        float[] fromGguf = plinthLogits(gguf, prompt);
        float[] fromHf = plinthLogits(hf, prompt);
        float diff = maxAbsDiff(fromGguf, fromHf);
        System.out.printf("export tied=%s: HF folder vs GGUF, max |diff| %.2e%n", tiedEmbeddings, diff);
        assertTrue(diff <= 1e-4f, "max |diff| " + diff);

        JsonNode config = new ObjectMapper().readTree(hf.resolve("config.json").toFile());
        assertEquals("LlamaForCausalLM", config.path("architectures").path(0).asText());
        assertEquals(tiedEmbeddings, config.path("tie_word_embeddings").asBoolean());
        assertEquals(10000.0, config.path("rope_theta").asDouble());
        assertEquals(1e-5, config.path("rms_norm_eps").asDouble(), 1e-12);
        assertEquals(m.config().vocabSize(), config.path("vocab_size").asInt());
        assertEquals(eos(), config.path("eos_token_id").asInt());
        JsonNode tc = new ObjectMapper().readTree(hf.resolve("tokenizer_config.json").toFile());
        assertEquals("<|endoftext|>", tc.path("eos_token").asText());
        assertEquals(ChatMl.TEMPLATE, tc.path("chat_template").asText());
        assertArrayEquals(Files.readAllBytes(tokenizerJson), Files.readAllBytes(hf.resolve("tokenizer.json")));
        try (ModelFile f = ModelFiles.open(hf)) {
            assertTrue(f.tensor("model.layers.1.self_attn.q_proj.weight") != null);
            assertTrue(f.tensor("model.embed_tokens.weight") != null);
            assertEquals(tiedEmbeddings, f.tensor("lm_head.weight") == null);
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of("base.gguf", "hf"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary files left");
        }
    }

    /** (d) Hugging Face tokenizers reads the exported tokenizer.json and gives Plinth's ids. */
    @Test
    void huggingFaceTokenizersGivesPlinthsIds() throws IOException {
        Path hf = dir.resolve("hf");
        BaseExport.writeHuggingFace(tied, tokenizerJson, hf);
        Tokenizer exported = Tokenizers.fromTokenizerJson(hf.resolve("tokenizer.json"));
        List<String> texts = ConformanceStrings.sample(1000);
        try (HfReference ref = HfReference.load(hf.resolve("tokenizer.json"))) {
            for (String s : texts) {
                int[] ids = ref.encode(s);
                // HF tokenizers always matches added tokens in the text
                assertArrayEquals(ids, tokenizer.encode(s, false, true), s);
                assertArrayEquals(ids, exported.encode(s, false, true), s);
            }
        }
        assertEquals(eos(), exported.eosId(), "tokenizer_config.json names the eos token");
        System.out.printf("export: HF tokenizers gives Plinth's ids on %d strings%n", texts.size());
    }

    @Test
    void anEarlierExportIsReplacedAndOtherFoldersAreRefused() throws IOException {
        Path hf = dir.resolve("hf");
        BaseExport.writeHuggingFace(tied, tokenizerJson, hf);
        BaseExport.writeHuggingFace(untied, tokenizerJson, hf);
        assertFalse(new ObjectMapper().readTree(hf.resolve("config.json").toFile()).path("tie_word_embeddings").asBoolean());
        Path other = Files.createDirectories(dir.resolve("photos"));
        Files.writeString(other.resolve("cat.jpg"), "not a model");
        assertThrows(DirectoryNotEmptyException.class, () -> BaseExport.writeHuggingFace(tied, tokenizerJson, other));
        assertEquals("not a model", Files.readString(other.resolve("cat.jpg")));
        try (var files = Files.list(dir)) {
            assertEquals(List.of("hf", "photos"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void aTokenizerLargerThanTheEmbeddingIsRefused() throws IOException {
        var config = DecoderConfig.builder("llama").hiddenSize(32).layers(1).heads(4).kvHeads(2).ffnSize(64)
                .vocabSize(300).contextLength(64).build();
        Path gguf = dir.resolve("small.gguf");
        RandomModels.builder(config).tiedEmbeddings(true).seed(3).writeGguf(gguf);
        TrainableDecoder m;
        try (ModelFile f = ModelFiles.open(gguf)) {
            m = TrainableDecoder.of(f);
        }
        var e = assertThrows(UnsupportedModelException.class,
                () -> BaseExport.writeGguf(m, tokenizerJson, dir.resolve("out.gguf"), QuantType.F32));
        assertTrue(e.getMessage().contains("300 rows"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("out.gguf")));
    }

    /**
     * (e, llama.cpp side) llama.cpp recognises the GGUF's chat template as ChatML and renders a
     * conversation with it as the template says (templates' ExportedChatTemplateTest renders it with
     * Plinth's Jinja engine to the same text).
     */
    @Test
    void llamaCppRendersTheChatTemplateAsChatMl() throws Throwable {
        Path gguf = dir.resolve("base.gguf");
        BaseExport.writeGguf(tied, tokenizerJson, gguf, QuantType.F32);
        String template;
        try (GgufFile g = GgufFile.open(gguf)) {
            template = g.getString("tokenizer.chat_template", null);
        }
        String[][] chat = {{"system", "Be brief."}, {"user", "Hi!"}, {"assistant", "Hello."}, {"user", "Bye?"}};
        String expected = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                + "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nBye?<|im_end|>\n<|im_start|>assistant\n";
        assertEquals(expected, llamaCppChat(template, chat));
    }

    /** llama.cpp's {@code llama_chat_apply_template} with a generation prompt. */
    private static String llamaCppChat(String template, String[][] messages) throws Throwable {
        var llama = LlamaCppLibrary.llama();
        var linker = Linker.nativeLinker();
        var apply = linker.downcallHandle(llama.findOrThrow("llama_chat_apply_template"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_BOOLEAN,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (var arena = Arena.ofConfined()) {
            var chat = arena.allocate(16L * messages.length, 8); // struct llama_chat_message { char *role, *content; }
            for (int i = 0; i < messages.length; i++) {
                chat.setAtIndex(ValueLayout.ADDRESS, 2L * i, arena.allocateFrom(messages[i][0]));
                chat.setAtIndex(ValueLayout.ADDRESS, 2L * i + 1, arena.allocateFrom(messages[i][1]));
            }
            int capacity = 4096;
            var buf = arena.allocate(capacity);
            int n = (int) apply.invokeExact(arena.allocateFrom(template), chat, (long) messages.length, true, buf,
                    capacity);
            assertTrue(n > 0 && n <= capacity, "llama_chat_apply_template returned " + n);
            byte[] bytes = buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static int eos() {
        int[] ids = tokenizer.encode("<|endoftext|>", false, true);
        assertEquals(1, ids.length);
        return ids[0];
    }

    private static double[] logSoftmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : x) {
            sum += Math.exp(v - max);
        }
        double log = Math.log(sum) + max;
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] - log;
        }
        return out;
    }

    private static double std(float[] x) {
        double mean = 0;
        for (float v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (float v : x) {
            var += (v - mean) * (v - mean);
        }
        return Math.sqrt(var / x.length);
    }
}

package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.model.lora.LoraAdapter;
import dev.plinth.model.lora.LoraGguf;
import dev.plinth.model.lora.PeftAdapters;
import dev.plinth.model.lora.RandomAdapters;
import dev.plinth.model.AppliedAdapter;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.DecoderModel;
import dev.plinth.model.convert.RandomModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code run --adapter} and {@code merge} on a small random llama base with random adapters. */
class AdapterCommandsTest {
    static final DecoderConfig CONFIG = DecoderConfig.builder("llama").hiddenSize(64).ffnSize(128).layers(2).heads(4)
            .kvHeads(2).vocabSize(320).contextLength(128).build();
    static final String PROMPT = "abc def ghi";

    @TempDir
    static Path dir;
    static Path base;
    static Path gguf;
    static Path peft;

    @BeforeAll
    static void writeModels() throws Exception {
        base = dir.resolve("base.gguf");
        baseModel().writeGguf(base);
        LoraAdapter adapter = RandomAdapters.of(CONFIG, RandomAdapters.ALL_ROLES, 4, 8, 1.0, 4);
        gguf = dir.resolve("adapter.gguf");
        peft = dir.resolve("adapter-peft");
        LoraGguf.write(adapter, gguf);
        PeftAdapters.write(adapter, peft, CONFIG);
    }

    private static RandomModels.Builder baseModel() {
        return RandomModels.builder(CONFIG).init(RandomModels.Init.unitScale(1.0, 0.1, 0.1)).seed(3);
    }

    /** Logits after {@code ids} on {@code model} with {@code adapters} applied at run time. */
    private static float[] logits(Path model, List<Path> adapters, int[] ids) throws Exception {
        try (DecoderModel m = DecoderModel.open(model)) {
            List<AppliedAdapter> applied = new java.util.ArrayList<>();
            for (Path a : adapters) {
                applied.add(AppliedAdapter.read(a, 1f, CONFIG));
            }
            return m.forward(m.newSession(32, applied), ids);
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static String greedy(Path model, String... adapterArgs) {
        List<String> args = new java.util.ArrayList<>(List.of("-q", "run", model.toString(), PROMPT, "--temperature", "0",
                "--max-tokens", "12"));
        args.addAll(List.of(adapterArgs));
        Cli r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return r.out();
    }

    @Test
    void runAppliesAdaptersAsTheMergedBaseWouldRun() throws Exception {
        Path merged = dir.resolve("merged.gguf");
        Cli m = Cli.run("-q", "merge", base.toString(), gguf.toString(), "--out", merged.toString());
        assertEquals(0, m.code(), m.err());
        String plain = greedy(base);
        String adapted = greedy(base, "--adapter", gguf.toString());
        assertNotEquals(plain, adapted, "the adapter changes the greedy continuation");
        assertEquals(adapted, greedy(merged));
        assertEquals(adapted, greedy(base, "--adapter", peft.toString()));
        assertEquals(plain, greedy(base, "--adapter", gguf + ":0"));
        String halves = greedy(base, "--adapter", gguf + ":0.5", "--adapter", peft + ":0.5");
        assertEquals(adapted, halves, "two halves of one adapter add up to it");
    }

    @Test
    void mergeWritesAnyQuantizeTypeAndHuggingFaceFolders() throws Exception {
        Path q8 = dir.resolve("merged-q8.gguf");
        Cli m = Cli.run("merge", base.toString(), peft + ":1", "--out", q8.toString(), "--type", "q8_0");
        assertEquals(0, m.code(), m.err());
        JsonNode doc = new ObjectMapper().readTree(Cli.run("inspect", "--json", q8.toString()).out());
        doc.get("tensors").forEach(t -> {
            if (t.get("name").asText().equals("blk.0.attn_q.weight")) {
                assertEquals("Q8_0", t.get("dtype").asText());
            }
        });
        Path hf = dir.resolve("merged-hf");
        Cli h = Cli.run("-q", "merge", base.toString(), gguf.toString(), "--out", hf.toString());
        assertEquals(0, h.code(), h.err());
        assertTrue(Files.isRegularFile(hf.resolve("model.safetensors")) && Files.isRegularFile(hf.resolve("config.json")));
        // the export's tokenizer.json of this synthetic vocabulary splits text otherwise: compare logits on ids
        int[] ids = {1, 313, 264, 265, 268, 270, 271, 274, 276};
        double max = maxDiff(logits(base, List.of(gguf), ids), logits(hf, List.of(), ids));
        assertTrue(max <= 1e-5, "merged Hugging Face folder vs runtime adapter: max |Δ logit| " + max);
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".merge-")), "no scratch left behind");
        }
    }

    @Test
    void mergesIntoAHuggingFaceBase() throws Exception {
        Path hfBase = dir.resolve("base-hf");
        baseModel().writeHuggingFace(hfBase);
        Path merged = dir.resolve("from-hf.gguf");
        Cli m = Cli.run("-q", "merge", hfBase.toString(), peft.toString(), "--out", merged.toString());
        assertEquals(0, m.code(), m.err());
        int[] ids = {1, 5, 77, 300, 12, 9};
        double max = maxDiff(logits(base, List.of(peft), ids), logits(merged, List.of(), ids));
        assertTrue(max <= 1e-5, "merged from the Hugging Face base vs runtime adapter on the GGUF base: " + max);
    }

    @Test
    void mergesIntoALlama2cCheckpointWithItsTokenizer() throws Exception {
        Path stories = dev.plinth.SharedData.require("models/stories260K");
        Path bin = stories.resolve("stories260K.bin");
        DecoderConfig config;
        try (DecoderModel m = DecoderModel.open(bin)) {
            config = m.config();
        }
        Path adapter = dir.resolve("stories-adapter.gguf");
        LoraGguf.write(RandomAdapters.of(config, List.of("attn_q", "ffn_up"), 2, 4, 1.0, 6), adapter);
        Path merged = dir.resolve("stories-merged.gguf");
        Cli m = Cli.run("-q", "merge", bin.toString(), adapter.toString(), "--out", merged.toString(), "--tokenizer",
                stories.resolve("tok512.bin").toString());
        assertEquals(0, m.code(), m.err());
        assertEquals(greedy(stories.resolve("stories260K.gguf"), "--adapter", adapter.toString()), greedy(merged));
    }

    @Test
    void adaptersThatDoNotFitAndBadOptionsAreRefused() throws Exception {
        DecoderConfig wider = DecoderConfig.builder("llama").hiddenSize(128).ffnSize(128).layers(2).heads(4).kvHeads(2)
                .vocabSize(320).build();
        Path other = dir.resolve("other.gguf");
        LoraGguf.write(RandomAdapters.of(wider, List.of("attn_v"), 2, 2, 1.0, 5), other);
        Cli run = Cli.run("run", base.toString(), PROMPT, "--adapter", other.toString());
        assertEquals(1, run.code());
        assertTrue(run.err().contains("adapter other.gguf has a pair for blk.0.attn_v.weight"), run.err());
        Cli merge = Cli.run("merge", base.toString(), other.toString(), "--out", dir.resolve("x.gguf").toString());
        assertEquals(1, merge.code());
        assertTrue(merge.err().contains("adapter other.gguf"), merge.err());
        Cli type = Cli.run("merge", base.toString(), gguf.toString(), "--out", dir.resolve("folder").toString(),
                "--type", "q8_0");
        assertEquals(2, type.code(), type.err());
        Cli missing = Cli.run("run", base.toString(), PROMPT, "--adapter", dir.resolve("nope.gguf").toString());
        assertEquals(1, missing.code());
    }
}

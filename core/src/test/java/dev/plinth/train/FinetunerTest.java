package dev.plinth.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.model.AppliedAdapter;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.DecoderModel;
import dev.plinth.model.convert.GgufQuantizer;
import dev.plinth.model.convert.ModelConverter;
import dev.plinth.model.convert.QuantType;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.model.lora.LoraAdapter;
import dev.plinth.model.lora.PeftAdapters;
import dev.plinth.tensor.autograd.Tape;
import dev.plinth.tensor.autograd.Variable;
import dev.plinth.text.Tokenizer;
import dev.plinth.train.data.ChatRenderer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning end to end on a tiny base with a trained byte-level BPE vocabulary: LoRA on an F32
 * and a Q8_0 base (the base file untouched, the adapter files written, read back and applied at run
 * time giving the trained decoder's logits), bit-identical resume, a classification head, full
 * fine-tuning writing a new base, and the refusals of a resume on other data, base or settings.
 */
class FinetunerTest {
    @TempDir
    static Path shared;

    private static Tokenizer tokenizer;
    private static Path base;
    private static Path baseQ8;

    @TempDir
    Path dir;

    @BeforeAll
    static void tinyBase() throws IOException {
        tokenizer = TinyChatBase.write(shared);
        base = shared.resolve("base.gguf");
        baseQ8 = shared.resolve("base-q8.gguf");
        ModelConverter.convert(base, null, baseQ8, QuantType.Q8_0, GgufQuantizer.Listener.NONE);
    }

    private Path chatData() throws IOException {
        List<String> lines = new ArrayList<>();
        String[][] pairs = {{"what is red?", "a rose is red."}, {"where is the cat?", "the cat sat on the mat."},
            {"where did the dog go?", "the dog ran to the park."}};
        for (int i = 0; i < 24; i++) {
            String[] p = pairs[i % pairs.length];
            lines.add("{\"messages\": [{\"role\": \"user\", \"content\": \"" + p[0] + "\"}, {\"role\": \"assistant\", "
                    + "\"content\": \"" + p[1] + "\"}]}");
        }
        Path f = dir.resolve("chat.jsonl");
        Files.write(f, lines);
        return f;
    }

    private static FinetuneConfig config(String... overrides) {
        Map<String, String> m = new java.util.LinkedHashMap<>(Map.of("steps", "12", "batch", "4", "lr", "0.01",
                "eval-every", "4", "checkpoint-every", "0", "rank", "4", "alpha", "8", "val-fraction", "0.2"));
        for (int i = 0; i < overrides.length; i += 2) {
            m.put(overrides[i], overrides[i + 1]);
        }
        return FinetuneConfig.defaults().with(m, "test");
    }

    private Trainer.Result run(Finetuner f, List<Trainer.Progress> seen) throws IOException {
        return f.run(seen::add);
    }

    @Test
    void loraLearnsAndWritesAdaptersThatApplyAtRunTime() throws IOException {
        for (Path b : new Path[] {base, baseQ8}) {
            String digest = LoraAdapter.baseDigest(b);
            Path out = dir.resolve("run-" + b.getFileName());
            List<Trainer.Progress> seen = new ArrayList<>();
            float[] trainedLogits;
            int[][] probe = {tokenizer.encode("<|im_start|>user\nwhat is red?<|im_end|>\n", false, true)};
            try (Finetuner f = Finetuner.create(Finetuner.Base.resolve(b, out), chatData(), out,
                    config("steps", "30", "lr", "0.02"), tokenizer, ChatRenderer.CHATML)) {
                assertEquals(2 * 7 * 2, f.model().trainable().size());
                Trainer.Result r = run(f, seen);
                assertTrue(r.completed());
                trainedLogits = f.model().logits(new Tape(), probe, TrainableDecoder.Pass.EVAL).data();
            }
            assertEquals(digest, LoraAdapter.baseDigest(b), "the base file is not written");
            double first = seen.getFirst().trainLoss();
            double last = seen.getLast().trainLoss();
            System.out.printf("LoRA on %s: loss %.3f -> %.3f, validation %.3f%n", b.getFileName(), first, last,
                    seen.getLast().valLoss());
            // a random frozen base limits what rank-4 pairs can do; about 2.4 nats is what 30 steps reach
            assertTrue(last < first - 1.5, b.getFileName() + ": loss " + first + " -> " + last);
            assertTrue(seen.getLast().valLoss() < first - 1.5, "validation loss " + seen.getLast().valLoss());
            for (String name : new String[] {"checkpoint.plnt", "log.csv", "loss.svg", "config.properties", "data.json",
                "adapter/adapter_config.json", "adapter/adapter_model.safetensors", "adapter/lineage.json", "adapter.gguf",
                "adapter.lineage.json"}) {
                assertTrue(Files.isRegularFile(out.resolve(name)), name);
            }
            JsonNode lineage = new ObjectMapper().readTree(out.resolve("adapter/lineage.json").toFile());
            assertEquals("sha256:" + digest, lineage.get("base").asText());
            assertEquals("sha256:" + LoraAdapter.baseDigest(out.resolve("data.json")), lineage.get("data").asText());
            assertEquals("sha256:" + LoraAdapter.baseDigest(out.resolve("config.properties")), lineage.get("config").asText());
            JsonNode card = new ObjectMapper().readTree(out.resolve("data.json").toFile());
            assertEquals("chat", card.get("format").asText());
            assertEquals(24, card.get("rows").asInt());
            assertEquals(5, card.get("validationRows").asInt());
            try (DecoderModel runtime = DecoderModel.open(b)) {
                for (Path adapter : new Path[] {out.resolve("adapter"), out.resolve("adapter.gguf")}) {
                    LoraAdapter read = LoraAdapter.read(adapter, runtime.config());
                    assertEquals(digest, read.metadata().get(LoraAdapter.META_BASE_DIGEST));
                    assertEquals("chat", read.metadata().get(LoraAdapter.META_TASK));
                    float[] applied = runtime.forwardAll(runtime.newSession(64,
                            List.of(new AppliedAdapter("trained", read, 1f))), probe[0]);
                    for (int i = 0; i < applied.length; i++) {
                        assertEquals(trainedLogits[i], applied[i], 1e-4, adapter + " logit " + i);
                    }
                }
            }
        }
    }

    @Test
    void aResumedFineTuneEqualsAnUninterruptedOneBitForBit() throws IOException {
        Path data = chatData();
        FinetuneConfig config = config("dropout", "0.1", "grad-accum", "2");
        List<Trainer.Progress> whole = new ArrayList<>();
        Map<String, float[]> reference = new java.util.LinkedHashMap<>();
        Path a = dir.resolve("whole");
        try (Finetuner f = Finetuner.create(Finetuner.Base.resolve(base, a), data, a, config, tokenizer, ChatRenderer.CHATML)) {
            run(f, whole);
            f.model().trainable().forEach((n, v) -> reference.put(n, v.data().clone()));
        }
        Path b = dir.resolve("split");
        List<Trainer.Progress> split = new ArrayList<>();
        try (Finetuner f = Finetuner.create(Finetuner.Base.resolve(base, b), data, b, config, tokenizer, ChatRenderer.CHATML)) {
            Trainer.Result r = f.run(p -> {
                split.add(p);
                if (p.step() == 5) {
                    f.requestStop();
                }
            });
            assertFalse(r.completed());
        }
        try (Finetuner f = Finetuner.resume(Finetuner.Base.resolve(base, b), data, b, Map.of(), tokenizer,
                ChatRenderer.CHATML)) {
            assertEquals(5, f.step());
            assertTrue(run(f, split).completed());
            f.model().trainable().forEach((n, v) -> assertArrayEquals(reference.get(n), v.data(), n));
        }
        assertEquals(whole.size(), split.size());
        for (int i = 0; i < whole.size(); i++) {
            assertEquals(Float.floatToRawIntBits(whole.get(i).trainLoss()), Float.floatToRawIntBits(split.get(i).trainLoss()),
                    "train loss at step " + (i + 1));
            assertEquals(Double.doubleToRawLongBits(whole.get(i).valLoss()), Double.doubleToRawLongBits(split.get(i).valLoss()));
        }
        assertEquals(13, Files.readAllLines(b.resolve("log.csv")).size());
        // a resume refuses other data, another base and a changed rank
        Path other = dir.resolve("other.jsonl");
        Files.writeString(other, Files.readString(data).replace("rose", "cherry"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Finetuner.resume(Finetuner.Base.resolve(base, b), other, b,
                Map.of(), tokenizer, ChatRenderer.CHATML)).getMessage().contains("not the data this run began with"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Finetuner.resume(Finetuner.Base.resolve(baseQ8, b), data, b,
                Map.of(), tokenizer, ChatRenderer.CHATML)).getMessage().contains("was fine-tuning the base"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Finetuner.resume(Finetuner.Base.resolve(base, b), data, b,
                Map.of("rank", "8"), tokenizer, ChatRenderer.CHATML)).getMessage().contains("rank"));
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> Finetuner.create(Finetuner.Base.resolve(base, b),
                data, b, config, tokenizer, ChatRenderer.CHATML));
    }

    @Test
    void aClassificationHeadLearnsSeparableLabels() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            lines.add(i % 2 == 0 ? "{\"text\": \"the cat sat on the mat " + i + "\", \"label\": \"cat\"}"
                    : "{\"text\": \"the dog ran to the park " + i + "\", \"label\": \"dog\"}");
        }
        Path data = dir.resolve("labels.jsonl");
        Files.write(data, lines);
        Path out = dir.resolve("classify");
        List<Trainer.Progress> seen = new ArrayList<>();
        try (Finetuner f = Finetuner.create(Finetuner.Base.resolve(base, out), data, out, config("steps", "20"), tokenizer,
                ChatRenderer.CHATML)) {
            assertEquals("classify", f.config().task());
            assertTrue(f.model().trainable().containsKey(TrainableDecoder.SCORE));
            run(f, seen);
        }
        assertTrue(seen.getLast().valLoss() < 0.3, "validation loss " + seen.getLast().valLoss());
        assertFalse(Files.exists(out.resolve("adapter.gguf")), "a head has no place in a LoRA GGUF");
        try (ModelFile mf = ModelFiles.open(base)) {
            LoraAdapter a = PeftAdapters.read(out.resolve("adapter"), dev.plinth.model.DecoderConfig.of(mf));
            assertTrue(a.wholeTensors().containsKey(TrainableDecoder.SCORE));
            assertEquals("[\"cat\",\"dog\"]", a.metadata().get(Finetuner.META_LABELS));
        }
        JsonNode config = new ObjectMapper().readTree(out.resolve("adapter/adapter_config.json").toFile());
        assertEquals("SEQ_CLS", config.get("task_type").asText());
        assertEquals("score", config.get("modules_to_save").get(0).asText());
    }

    @Test
    void fullFineTuningWritesANewBase() throws IOException {
        Path out = dir.resolve("full");
        float[] trained;
        int[] probe = tokenizer.encode("<|im_start|>user\nwhat is red?", false, true);
        try (Finetuner f = Finetuner.create(Finetuner.Base.resolve(base, out), chatData(), out,
                config("method", "full", "lr", "0.003", "steps", "6"), tokenizer, ChatRenderer.CHATML)) {
            assertEquals(f.model().parameters().keySet(), f.model().trainable().keySet());
            List<Trainer.Progress> seen = new ArrayList<>();
            run(f, seen);
            assertTrue(seen.getLast().trainLoss() < seen.getFirst().trainLoss());
            trained = f.model().logits(new Tape(), new int[][] {probe}).data();
        }
        assertFalse(Files.exists(out.resolve("adapter")));
        try (DecoderModel m = DecoderModel.open(out.resolve(Finetuner.MODEL_GGUF))) {
            float[] logits = m.forwardAll(m.newSession(64), probe);
            for (int i = 0; i < logits.length; i++) {
                assertEquals(trained[i], logits[i], 1e-4, "logit " + i);
            }
        }
    }

    @Test
    void fromScratchTrainsTheBasesShapeFromFreshWeights() throws IOException {
        Path out = dir.resolve("scratch");
        List<Trainer.Progress> seen = new ArrayList<>();
        try (Finetuner f = Finetuner.create(Finetuner.Base.resolve(base, out), chatData(), out,
                config("method", "full", "init", "random", "steps", "3", "lr", "0.003"), tokenizer, ChatRenderer.CHATML)) {
            assertTrue(f.config().fromScratch());
            run(f, seen);
        }
        // fresh N(0, 0.02²) weights predict about uniformly: ln(vocab) (the base starts near 6.4)
        assertEquals(Math.log(tokenizer.vocabSize()), seen.getFirst().trainLoss(), 0.1);
        assertTrue(Files.isRegularFile(out.resolve(Finetuner.MODEL_GGUF)));
        assertThrows(IllegalArgumentException.class, () -> config("init", "random"), "random weights need --method full");
    }

    @Test
    void continuedPretrainingOnTextAndACorpusFolder() throws IOException {
        Path text = dir.resolve("story.txt");
        Files.writeString(text, "the cat sat on the mat. the dog ran to the park. ".repeat(30));
        Path out = dir.resolve("text");
        try (Finetuner f = Finetuner.create(Finetuner.Base.resolve(base, out), text, out,
                config("steps", "3", "context", "32", "val-fraction", "0"), tokenizer, ChatRenderer.CHATML)) {
            assertEquals("causal", f.config().task());
            assertTrue(f.trainExamples() > 5, "windows of 33 tokens: " + f.trainExamples());
            assertTrue(f.run(p -> { }).completed());
            assertEquals(null, f.model().classifier());
        }
        Path corpus = TinyCorpus.write(Files.createDirectories(dir.resolve("corpus")), 1, 2000, 3);
        Path out2 = dir.resolve("corpus-run");
        try (Finetuner f = Finetuner.create(Finetuner.Base.resolve(base, out2), corpus, out2,
                config("steps", "3", "context", "16"), tokenizer, ChatRenderer.CHATML)) {
            assertEquals(null, f.data());
            assertTrue(f.run(p -> { }).completed());
        }
        JsonNode lineage = new ObjectMapper().readTree(out2.resolve("adapter/lineage.json").toFile());
        assertEquals("sha256:" + LoraAdapter.baseDigest(corpus.resolve("card.json")), lineage.get("data").asText());
    }

    @Test
    void aHuggingFaceFolderOrAPretrainingCheckpointIsConvertedToTheBase() throws IOException {
        DecoderConfig c = DecoderConfig.builder("llama").hiddenSize(32).heads(4).kvHeads(2).ffnSize(64)
                .vocabSize(tokenizer.vocabSize()).layers(1).contextLength(64).build();
        Path hf = Files.createDirectories(dir.resolve("hf"));
        RandomModels.builder(c).seed(4).writeHuggingFace(hf);
        Path out = dir.resolve("from-hf");
        Finetuner.Base fromHf = Finetuner.Base.resolve(hf, out);
        assertEquals(out.resolve("base.gguf"), fromHf.gguf());
        assertEquals(LoraAdapter.baseDigest(hf), fromHf.digest(), "an adapter records the folder it was trained on");
        try (Finetuner f = Finetuner.create(fromHf, chatData(), out, config("steps", "2"), tokenizer, ChatRenderer.CHATML)) {
            assertTrue(f.run(p -> { }).completed());
        }
        try (DecoderModel m = DecoderModel.open(hf)) {
            m.check(new AppliedAdapter("hf", LoraAdapter.read(out.resolve("adapter"), m.config()), 1f));
        }

        PretrainConfig pc = PretrainConfig.defaults().with(Map.of("hidden", "32", "layers", "1", "heads", "4", "kv-heads",
                "2", "ffn", "64", "context", "64"), "test");
        Path run = Files.createDirectories(dir.resolve("pretrain-run"));
        TrainableDecoder pretrained = TrainableDecoder.initialize(pc.decoder(tokenizer.vocabSize()), 5);
        Checkpoint.write(run.resolve(Checkpoint.FILE_NAME), new Checkpoint.Contents(pc.toProperties(),
                tokenizer.vocabSize(), 0, 0, 0, List.of(), pretrained.parameters(), Map.of()));
        Files.copy(shared.resolve("tokenizer.json"), run.resolve("tokenizer.json"));
        Path out2 = dir.resolve("from-checkpoint");
        Finetuner.Base fromCheckpoint = Finetuner.Base.resolve(run, out2);
        assertEquals(LoraAdapter.baseDigest(out2.resolve("base.gguf")), fromCheckpoint.digest());
        try (Finetuner f = Finetuner.create(fromCheckpoint, chatData(), out2, config("steps", "2"), tokenizer,
                ChatRenderer.CHATML)) {
            assertTrue(f.run(p -> { }).completed());
        }
    }

    @Test
    void variablesOfTheHeadAndPairsAreTheCheckpointsParameters() throws IOException {
        Path out = dir.resolve("ckpt");
        try (Finetuner f = Finetuner.create(Finetuner.Base.resolve(base, out), chatData(), out, config("steps", "2"),
                tokenizer, ChatRenderer.CHATML)) {
            f.run(p -> { });
            Checkpoint.Contents c = Checkpoint.readContents(out.resolve(Checkpoint.FILE_NAME));
            assertEquals(f.model().trainable().keySet(), c.params().keySet());
            assertTrue(c.finetune());
            for (Map.Entry<String, Variable> e : f.model().trainable().entrySet()) {
                assertArrayEquals(e.getValue().data(), c.params().get(e.getKey()).data());
            }
        }
        ModelFormatExceptionCheck.refusedAsPretraining(out.resolve(Checkpoint.FILE_NAME));
    }

    /** A fine-tuning checkpoint is no pretraining checkpoint: export and pretrain --resume refuse it. */
    private static final class ModelFormatExceptionCheck {
        static void refusedAsPretraining(Path ckpt) {
            var e = assertThrows(dev.plinth.io.ModelFormatException.class, () -> Checkpoint.readModel(ckpt));
            assertTrue(e.getMessage().contains("a fine-tuning checkpoint"), e.getMessage());
        }
    }
}

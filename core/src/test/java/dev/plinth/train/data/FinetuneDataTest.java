package dev.plinth.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.text.BpeTrainer;
import dev.plinth.text.Tokenizer;
import dev.plinth.train.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning data: each format told by content, malformed rows refused naming file and line (or
 * skipped and counted), the loss masks (assistant turns with their end-of-turn marker; the
 * completion and EOS), the seeded validation split, and batches that pad and resume.
 */
class FinetuneDataTest {
    private static Tokenizer tokenizer;

    @TempDir
    Path dir;

    @BeforeAll
    static void trainTokenizer() {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            docs.add("the cat sat on the mat " + i + ". hello world, what is the capital of France? Paris is.");
        }
        tokenizer = new BpeTrainer(400, List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>")).train(docs);
    }

    private Path file(String name, String... lines) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return f;
    }

    private static FinetuneData load(Path data, DataFormat.Task task, boolean skipBad) throws IOException {
        return FinetuneData.load(data, new FinetuneData.Options(task, 256, skipBad, 0, 1), tokenizer, ChatRenderer.CHATML);
    }

    @Test
    void formatsAreToldByContent() throws IOException {
        assertEquals(DataFormat.CHAT, DataReader.detect(file("a.jsonl",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"hello\"}]}")));
        assertEquals(DataFormat.PROMPT_COMPLETION, DataReader.detect(file("b.jsonl", "{\"prompt\": \"a\", \"completion\": \"b\"}")));
        assertEquals(DataFormat.CLASSIFICATION, DataReader.detect(file("c.jsonl", "{\"text\": \"a\", \"label\": \"spam\"}")));
        assertEquals(DataFormat.TEXT, DataReader.detect(file("d.jsonl", "{\"text\": \"a document\"}")));
        assertEquals(DataFormat.CLASSIFICATION, DataReader.detect(file("e.csv", "label,text", "ham,\"hi, there\"")));
        assertEquals(DataFormat.TEXT, DataReader.detect(file("f.txt", "{curly} prose, with a comma", "and lines")));
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        Files.writeString(corpus.resolve("card.json"), "{}");
        assertEquals(DataFormat.CORPUS, DataReader.detect(corpus));
        Path texts = Files.createDirectories(dir.resolve("texts"));
        Files.writeString(texts.resolve("one.txt"), "the cat sat");
        Files.writeString(texts.resolve("two.md"), "# the mat");
        Files.writeString(texts.resolve("skipped.bin"), "not data");
        DataReader.Rows rows = DataReader.read(texts, false);
        assertEquals(DataFormat.TEXT, rows.format());
        assertEquals(2, rows.rows().size());
        Files.writeString(texts.resolve("three.jsonl"), "{\"prompt\": \"a\", \"completion\": \"b\"}");
        MalformedDataException mixed = assertThrows(MalformedDataException.class, () -> DataReader.read(texts, false));
        assertTrue(mixed.getMessage().contains("one format at a time"), mixed.getMessage());
    }

    @Test
    void malformedRowsNameFileAndLineOrAreSkippedAndCounted() throws IOException {
        String good = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"hello\"}]}";
        String[][] cases = {
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "no assistant turn"},
            {"{\"messages\": []}", "non-empty array"},
            {"{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}", "role \"robot\""},
            {"{\"messages\": [{\"role\": \"user\"}]}", "no text \"content\""},
            {"{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\", \"weight\": 2}]}", "\"weight\" must be 0 or 1"},
            {"{\"messages\": [oops", "not a JSON object"},
            {"[1, 2]", "not a JSON object"},
        };
        for (String[] c : cases) {
            Path f = file("chat.jsonl", good, "", c[0], good);
            MalformedDataException e = assertThrows(MalformedDataException.class, () -> load(f, null, false));
            assertEquals(f, e.file());
            assertEquals(3, e.line(), e.getMessage());
            assertTrue(e.getMessage().startsWith(f + ":3: ") && e.getMessage().contains(c[1]), e.getMessage());
            FinetuneData skipped = load(f, null, true);
            assertEquals(1, skipped.skipped());
            assertEquals(2, skipped.rowCount());
            assertTrue(skipped.skipReasons().getFirst().contains(":3: "));
        }
        Path pc = file("pc.jsonl", "{\"prompt\": \"a\", \"completion\": \"b\"}", "{\"prompt\": \"a\", \"completion\": \"\"}",
                "{\"prompt\": 3, \"completion\": \"b\"}", "{\"completion\": \"b\"}");
        assertEquals(3, load(pc, null, true).skipped());
        assertTrue(assertThrows(MalformedDataException.class, () -> load(pc, null, false)).getMessage()
                .contains(":2: \"completion\" is empty"));
        Path labelled = file("l.jsonl", "{\"text\": \"a\", \"label\": \"x\"}", "{\"text\": \"b\", \"label\": 1.5}",
                "{\"text\": \"c\"}", "{\"text\": \"d\", \"label\": \"y\"}");
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> load(labelled, null, false));
        assertTrue(e.getMessage().contains(":2: \"label\" must be"), e.getMessage());
        assertEquals(2, load(labelled, null, true).skipped());
        Path csv = file("l.csv", "text,label", "fine,ham", "\"two", "lines\",spam", "too,many,fields", ",ham", "last,spam");
        MalformedDataException csvError = assertThrows(MalformedDataException.class, () -> load(csv, null, false));
        assertEquals(5, csvError.line(), csvError.getMessage());
        FinetuneData skippedCsv = load(csv, null, true);
        assertEquals(2, skippedCsv.skipped());
        assertEquals(3, skippedCsv.rowCount());
        Path open = file("open.csv", "text,label", "\"never closed,ham");
        assertTrue(assertThrows(MalformedDataException.class, () -> load(open, null, true)).getMessage()
                .contains(":2: a quoted field is not closed"));
        Path notUtf8 = dir.resolve("latin1.txt");
        Files.write(notUtf8, new byte[] {'c', 'a', 'f', (byte) 0xE9});
        assertTrue(assertThrows(MalformedDataException.class, () -> load(notUtf8, null, false)).getMessage()
                .contains("not UTF-8"));
    }

    @Test
    void chatLossCoversOnlyAssistantTurnsAndTheirEndMarker() throws IOException {
        Path f = file("chat.jsonl", "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
                + " {\"role\": \"user\", \"content\": \"What is the capital of France?\"},"
                + " {\"role\": \"assistant\", \"content\": \"Paris.\"},"
                + " {\"role\": \"user\", \"content\": \"And the cat?\"},"
                + " {\"role\": \"assistant\", \"content\": \"On the mat.\", \"weight\": 0},"
                + " {\"role\": \"user\", \"content\": \"hello\"},"
                + " {\"role\": \"assistant\", \"content\": \"hello world\"}]}");
        Example e = load(f, null, false).train().getFirst();
        assertEquals("Paris.<|im_end|>\n|hello world<|im_end|>\n", learnedText(e));
        // the inputs are the whole rendered conversation, less its last token
        String rendered = tokenizer.decode(e.inputs());
        assertTrue(rendered.startsWith("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n"), rendered);
        assertTrue(rendered.contains("On the mat."), rendered);
        assertThrows(IllegalArgumentException.class, () -> load(f, DataFormat.Task.CLASSIFY, false));
        assertThrows(IllegalArgumentException.class, () -> load(f, DataFormat.Task.CAUSAL, false));
    }

    @Test
    void completionLossCoversTheCompletionAndEos() throws IOException {
        Path f = file("pc.jsonl", "{\"prompt\": \"What is the capital of France?\", \"completion\": \" Paris is.\"}");
        Example causal = load(f, null, false).train().getFirst();
        assertEquals(" Paris is.<|endoftext|>", learnedText(causal));
        assertEquals("What is the capital of France? Paris is.", tokenizer.decode(causal.inputs()));
        Example asChat = load(f, DataFormat.Task.CHAT, false).train().getFirst();
        assertEquals(" Paris is.<|im_end|>\n", learnedText(asChat));
        assertTrue(tokenizer.decode(asChat.inputs()).startsWith("<|im_start|>user\nWhat is"));
    }

    /** The text of the learned targets, runs joined by '|'. */
    private static String learnedText(Example e) {
        StringBuilder sb = new StringBuilder();
        List<Integer> run = new ArrayList<>();
        for (int t = 0; t <= e.targets().length; t++) {
            boolean learned = t < e.targets().length && e.targets()[t] != Trainer.IGNORE;
            if (learned) {
                run.add(e.targets()[t]);
            } else if (!run.isEmpty()) {
                sb.append(sb.isEmpty() ? "" : "|").append(tokenizer.decode(run.stream().mapToInt(i -> i).toArray()));
                run.clear();
            }
        }
        return sb.toString();
    }

    @Test
    void documentsAreCutIntoWindowsThatPredictEveryTokenOnce() throws IOException {
        String text = "the cat sat on the mat. ".repeat(40);
        Path f = file("doc.txt", text);
        FinetuneData d = FinetuneData.load(f, new FinetuneData.Options(null, 16, false, 0, 1), tokenizer, ChatRenderer.CHATML);
        int[] all = tokenizer.encode(text + "\n", true, false);
        int predicted = d.train().stream().mapToInt(Example::learned).sum();
        assertEquals(all.length, predicted, "every token after the first, and EOS");
        assertTrue(d.train().stream().allMatch(e -> e.inputs().length <= 16));
        assertEquals(DataFormat.Task.CAUSAL, d.task());
    }

    @Test
    void classificationLabelsAreIndexedInOrderAndTargetTheLastToken() throws IOException {
        Path f = file("l.jsonl", "{\"text\": \"the cat\", \"label\": 10}", "{\"text\": \"the mat\", \"label\": 2}",
                "{\"text\": \"hello\", \"label\": 10}");
        FinetuneData d = load(f, null, false);
        assertEquals(List.of("2", "10"), d.labels());
        Example first = d.train().getFirst();
        assertEquals(1, first.learned());
        assertEquals(1, first.targets()[first.targets().length - 1]);
        assertArrayEquals(tokenizer.encode("the cat", true, false), first.inputs());
        Path csv = file("l.csv", "id,text,label", "1,\"the cat, \"\"sat\"\"\",spam", "2,\"the\nmat\",ham");
        FinetuneData fromCsv = load(csv, null, false);
        assertEquals(List.of("ham", "spam"), fromCsv.labels());
        assertArrayEquals(tokenizer.encode("the cat, \"sat\"", true, false), fromCsv.train().getFirst().inputs());
        assertArrayEquals(tokenizer.encode("the\nmat", true, false), fromCsv.train().get(1).inputs());
        Path one = file("one.jsonl", "{\"text\": \"a\", \"label\": \"x\"}");
        assertThrows(IllegalArgumentException.class, () -> load(one, null, false));
    }

    @Test
    void theValidationSplitIsSeededAndHoldsWholeRows() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            lines.add("{\"prompt\": \"q" + i + "\", \"completion\": \" a" + i + "\"}");
        }
        Path f = file("many.jsonl", lines.toArray(String[]::new));
        FinetuneData.Options options = new FinetuneData.Options(null, 64, false, 0.25, 7);
        FinetuneData a = FinetuneData.load(f, options, tokenizer, ChatRenderer.CHATML);
        FinetuneData b = FinetuneData.load(f, options, tokenizer, ChatRenderer.CHATML);
        assertEquals(10, a.validation().size());
        assertEquals(30, a.train().size());
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(a.validation().get(i).inputs(), b.validation().get(i).inputs());
        }
        FinetuneData other = FinetuneData.load(f, new FinetuneData.Options(null, 64, false, 0.25, 8), tokenizer,
                ChatRenderer.CHATML);
        assertFalse(Arrays.equals(a.validation().getFirst().inputs(), other.validation().getFirst().inputs())
                && Arrays.equals(a.validation().get(1).inputs(), other.validation().get(1).inputs()));
        assertTrue(FinetuneData.heldOut(3, 0.01, 1)[0] || FinetuneData.heldOut(3, 0.01, 1)[1]
                || FinetuneData.heldOut(3, 0.01, 1)[2], "a positive fraction holds out at least one row");
    }

    @Test
    void batchesPadWithIgnoredTargetsAndResumeFromTheirCount() {
        List<Example> examples = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            int[] ids = new int[i];
            Arrays.fill(ids, i);
            examples.add(new Example(ids, ids.clone()));
        }
        ExampleBatches batches = new ExampleBatches(examples, 2, 3, 0, 0);
        List<Trainer.Batch> first = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            first.add(batches.next());
        }
        assertEquals(12, batches.state());
        // an epoch serves each example once: batches 0-1 and the first row of batch 2 are the five
        int[] seen = new int[6];
        for (int b = 0; b < 3; b++) {
            for (int r = 0; r < (b < 2 ? 2 : 1); r++) {
                seen[first.get(b).inputs()[r][0]]++;
            }
        }
        assertArrayEquals(new int[] {0, 1, 1, 1, 1, 1}, seen);
        Trainer.Batch b0 = first.getFirst();
        int width = b0.inputs()[0].length;
        for (int r = 0; r < 2; r++) {
            int real = b0.inputs()[r][0];
            assertEquals(width, b0.targets()[r].length);
            for (int t = real; t < width; t++) {
                assertEquals(0, b0.inputs()[r][t]);
                assertEquals(Trainer.IGNORE, b0.targets()[r][t]);
            }
        }
        ExampleBatches resumed = new ExampleBatches(examples, 2, 3, 0, 6);
        for (int i = 3; i < 6; i++) {
            Trainer.Batch again = resumed.next();
            assertTrue(Arrays.deepEquals(first.get(i).inputs(), again.inputs()), "batch " + i);
            assertEquals(first.get(i).noise(), again.noise());
        }
        List<Trainer.Batch> fixed = ExampleBatches.fixed(examples, 2, 10, 0);
        assertEquals(3, fixed.size());
        assertEquals(1, fixed.get(2).inputs().length);
    }
}

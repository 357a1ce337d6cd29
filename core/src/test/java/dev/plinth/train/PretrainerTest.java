package dev.plinth.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.autograd.Variable;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

class PretrainerTest {

    @TempDir
    Path tmp;

    private Path corpus() throws IOException {
        return TinyCorpus.write(Files.createDirectories(tmp.resolve("corpus")), 3, 3000, 11);
    }

    @Test
    void lossFallsFarBelowUniformAndFilesAreWritten() throws Exception {
        Path corpus = corpus();
        Path out = tmp.resolve("run");
        List<Trainer.Progress> seen = new ArrayList<>();
        Trainer.Result r;
        try (Pretrainer t = Pretrainer.create(corpus, out, TinyCorpus.config(60))) {
            r = t.run(seen::add);
            assertEquals(60, t.step());
        }
        assertTrue(r.completed());
        assertEquals(60, seen.size());
        double uniform = Math.log(TinyCorpus.VOCAB);
        double first = seen.getFirst().trainLoss();
        assertTrue(Math.abs(first - uniform) < 0.3, "initial loss " + first + " should be near ln(64) = " + uniform);
        // the chain is 90% deterministic: its entropy is about 0.1·ln(63) + H(0.9) ≈ 0.74 nats
        assertTrue(r.lastValLoss() < 1.6, "validation loss " + r.lastValLoss() + " should fall well below " + uniform);
        List<String> csv = Files.readAllLines(r.csv());
        assertEquals(TrainingLog.CSV_HEADER, csv.getFirst());
        assertEquals(61, csv.size());
        assertEquals(12, csv.stream().skip(1).filter(l -> !l.split(",", -1)[3].isEmpty()).count(), "val loss every 5 steps");
        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(r.svg().toFile());
        assertEquals("svg", svg.getDocumentElement().getTagName());
        assertEquals(2, svg.getElementsByTagName("polyline").getLength());
        assertEquals(12, svg.getElementsByTagName("circle").getLength());
        assertTrue(r.memory().heapPeakBytes() > 0);
        assertEquals(TinyCorpus.config(60), PretrainConfig.read(out.resolve("config.properties")));
        JsonNode record = new ObjectMapper().readTree(out.resolve(Pretrainer.CORPUS_FILE).toFile());
        assertEquals(corpus.toAbsolutePath().normalize().toString(), record.get("corpus").asText());
        String cardDigest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(corpus.resolve("card.json"))));
        assertEquals("sha256:" + cardDigest, record.get("card").asText());
    }

    @Test
    void resumedRunEqualsUninterruptedRunBitForBit() throws Exception {
        Path corpus = corpus();
        PretrainConfig config = TinyCorpus.config(14);
        List<Trainer.Progress> whole = new ArrayList<>();
        TrainableDecoder reference;
        try (Pretrainer t = Pretrainer.create(corpus, tmp.resolve("whole"), config)) {
            t.run(whole::add);
            reference = t.model();
        }
        Path out = tmp.resolve("split");
        List<Trainer.Progress> split = new ArrayList<>();
        try (Pretrainer t = Pretrainer.create(corpus, out, config)) {
            Trainer.Result first = t.run(p -> {
                split.add(p);
                if (p.step() == 6) {
                    t.requestStop();
                }
            });
            assertFalse(first.completed());
            assertEquals(6, first.step());
        }
        TrainableDecoder resumedModel;
        try (Pretrainer t = Pretrainer.resume(corpus, out, Map.of())) {
            assertEquals(6, t.step());
            assertTrue(t.run(split::add).completed());
            resumedModel = t.model();
        }
        assertEquals(whole.size(), split.size());
        for (int i = 0; i < whole.size(); i++) {
            Trainer.Progress a = whole.get(i);
            Trainer.Progress b = split.get(i);
            assertEquals(a.step(), b.step());
            assertEquals(Float.floatToRawIntBits(a.trainLoss()), Float.floatToRawIntBits(b.trainLoss()), "train loss at " + a.step());
            assertEquals(Double.doubleToRawLongBits(a.valLoss()), Double.doubleToRawLongBits(b.valLoss()), "val loss at " + a.step());
            assertEquals(Double.doubleToRawLongBits(a.gradNorm()), Double.doubleToRawLongBits(b.gradNorm()), "grad norm at " + a.step());
            assertEquals(a.lr(), b.lr());
        }
        assertParamsEqual(reference, resumedModel);
        assertParamsEqual(reference, Checkpoint.readModel(out.resolve(Checkpoint.FILE_NAME)));
        // the log survives the interruption: the resumed run's CSV has every step once
        assertEquals(15, Files.readAllLines(out.resolve("log.csv")).size());
    }

    private static void assertParamsEqual(TrainableDecoder a, TrainableDecoder b) {
        assertEquals(a.parameters().keySet(), b.parameters().keySet());
        for (Map.Entry<String, Variable> e : a.parameters().entrySet()) {
            assertArrayEquals(e.getValue().data(), b.parameters().get(e.getKey()).data(), e.getKey());
        }
    }

    @Test
    void checkpointRoundTripsAndCorruptionIsReported() throws Exception {
        Path corpus = corpus();
        Path out = tmp.resolve("run");
        try (Pretrainer t = Pretrainer.create(corpus, out, TinyCorpus.config(3))) {
            t.run(p -> { });
        }
        Path ckpt = out.resolve(Checkpoint.FILE_NAME);
        Checkpoint.State s = Checkpoint.read(ckpt);
        assertEquals(3, s.step());
        assertEquals(TinyCorpus.config(3), s.config());
        assertEquals(3, s.log().size());
        assertEquals(s.model().parameters().size(), s.moments().size());
        s.moments().values().forEach(m -> assertEquals(3, m.step()));

        byte[] bytes = Files.readAllBytes(ckpt);
        Path truncated = tmp.resolve("truncated.plnt");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Checkpoint.read(truncated));
        assertTrue(e.getMessage().contains("truncated or corrupt"), e.getMessage());
        assertTrue(e.getMessage().contains(truncated.toString()), e.getMessage());

        Path flipped = tmp.resolve("flipped.plnt");
        byte[] copy = bytes.clone();
        copy[copy.length / 3] ^= 1;
        Files.write(flipped, copy);
        assertTrue(assertThrows(ModelFormatException.class, () -> Checkpoint.read(flipped)).getMessage()
                .contains("checksum mismatch"));

        Path tiny = tmp.resolve("tiny.plnt");
        Files.write(tiny, new byte[] {'P', 'L'});
        assertThrows(ModelFormatException.class, () -> Checkpoint.read(tiny));
        Path other = tmp.resolve("other.plnt");
        copy = bytes.clone();
        copy[0] = 'X';
        Files.write(other, copy);
        assertTrue(assertThrows(ModelFormatException.class, () -> Checkpoint.read(other)).getMessage()
                .contains("not a plinth pretraining checkpoint"));
    }

    @Test
    void freshRunRefusesAnExistingCheckpointAndResumeKeepsTheShape() throws Exception {
        Path corpus = corpus();
        Path out = tmp.resolve("run");
        try (Pretrainer t = Pretrainer.create(corpus, out, TinyCorpus.config(2))) {
            t.run(p -> { });
        }
        assertThrows(FileAlreadyExistsException.class, () -> Pretrainer.create(corpus, out, TinyCorpus.config(2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Pretrainer.resume(corpus, out, Map.of("hidden", "64")));
        assertTrue(e.getMessage().contains("hidden"), e.getMessage());
        try (Pretrainer t = Pretrainer.resume(corpus, out, Map.of("steps", "4", "hidden", "32"))) {
            assertTrue(t.run(p -> { }).completed());
            assertEquals(4, t.step());
        }
    }
}

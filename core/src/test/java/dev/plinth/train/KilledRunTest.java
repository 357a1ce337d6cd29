package dev.plinth.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training process killed without warning (kill -9) leaves its last checkpoint loadable; one
 * asked to stop (SIGTERM, as Ctrl-C's SIGINT) finishes its step and saves a checkpoint.
 */
class KilledRunTest {

    @TempDir
    Path tmp;

    /** The child: trains the tiny corpus until killed, printing each step, with a checkpoint every args[2] steps. */
    public static void main(String[] args) throws IOException {
        PretrainConfig config = TinyCorpus.config(100_000).with(Map.of("checkpoint-every", args[2], "eval-every", "0"), "child");
        try (Pretrainer t = Pretrainer.create(Path.of(args[0]), Path.of(args[1]), config)) {
            t.run(p -> {
                System.out.println("step " + p.step());
                System.out.flush();
            });
        }
    }

    private Process child(Path corpus, Path out, int checkpointEvery, boolean logToFile) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Xmx512m"));
        // the same vector width as this JVM: sums across 8 or 16 lanes round differently
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("-XX:UseAVX"))
                .forEach(cmd::add);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), KilledRunTest.class.getName(),
                corpus.toString(), out.toString(), Integer.toString(checkpointEvery)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (logToFile) {
            pb.redirectOutput(tmp.resolve("child.log").toFile());
        }
        return pb.start();
    }

    @Test
    void aStoppedProcessFinishesItsStepAndSavesACheckpoint() throws Exception {
        Path corpus = TinyCorpus.write(Files.createDirectories(tmp.resolve("corpus")), 2, 3000, 6);
        Path out = tmp.resolve("run");
        Process child = child(corpus, out, 0, false);
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream()))) {
            String line;
            while ((line = lines.readLine()) != null && !line.equals("step 3")) {
                // wait for three steps
            }
            assertEquals("step 3", line);
            child.destroy();
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child did not stop");
        } finally {
            child.destroyForcibly();
        }
        Checkpoint.State s = Checkpoint.read(out.resolve(Checkpoint.FILE_NAME));
        long k = s.step();
        assertTrue(k >= 3, "checkpoint at step " + k);
        assertEquals(k, s.log().size());
        assertEquals(k + 1, Files.readAllLines(out.resolve("log.csv")).size());

        // across processes (the child's JIT as cold as it gets, ours warmer), the losses agree bit for bit
        PretrainConfig config = TinyCorpus.config(100_000).with(Map.of("checkpoint-every", "0", "eval-every", "0"), "child");
        List<Float> reference = new ArrayList<>();
        try (Pretrainer t = Pretrainer.create(corpus, tmp.resolve("reference"), config)) {
            t.run(p -> {
                reference.add(p.trainLoss());
                if (p.step() == k + 2) {
                    t.requestStop();
                }
            });
        }
        for (int i = 0; i < k; i++) {
            assertEquals(Float.floatToRawIntBits(reference.get(i)), Float.floatToRawIntBits(s.log().get(i).trainLoss()),
                    "step " + (i + 1));
        }
        List<Float> resumed = new ArrayList<>();
        try (Pretrainer t = Pretrainer.resume(corpus, out, Map.of())) {
            t.run(p -> {
                resumed.add(p.trainLoss());
                if (p.step() == k + 2) {
                    t.requestStop();
                }
            });
        }
        assertEquals(reference.subList((int) k, (int) k + 2), resumed);
    }

    @Test
    void lastCheckpointOfAKilledProcessLoadsAndResumes() throws Exception {
        Path corpus = TinyCorpus.write(Files.createDirectories(tmp.resolve("corpus")), 2, 3000, 5);
        Path out = tmp.resolve("run");
        Path ckpt = out.resolve(Checkpoint.FILE_NAME);
        Process child = child(corpus, out, 1, true);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            long seen = 0;
            while (seen < 4 && System.nanoTime() < deadline && child.isAlive()) {
                Thread.sleep(50);
                if (Files.exists(ckpt)) {
                    seen = Checkpoint.read(ckpt).step();
                }
            }
            assertTrue(child.isAlive(), "the child died on its own: " + Files.readString(tmp.resolve("child.log")));
            assertTrue(seen >= 4, "the child wrote no checkpoint beyond step " + seen + " in time");
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        Checkpoint.State last = Checkpoint.read(ckpt);
        assertTrue(last.step() >= 4);
        assertEquals(last.step(), last.log().size());
        try (Pretrainer t = Pretrainer.resume(corpus, out, Map.of("steps", Long.toString(last.step() + 2)))) {
            assertTrue(t.run(p -> { }).completed());
            assertEquals(last.step() + 2, t.step());
        }
    }
}

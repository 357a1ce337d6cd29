package dev.plinth.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Encode throughput of Plinth's tokenizers against Hugging Face tokenizers (Rust, via DJL) on the
 * same text, one thread each, one call per chunk of a few KB, no special tokens added (special-token
 * text parsed, as HF does). Each side is
 * warmed up by time, then measured by time; prints MB/s (UTF-8 bytes) and the ratio.
 *
 * <pre>
 * java -cp bench/target/plinth-bench.jar dev.plinth.bench.TokenizerBench \
 *     [-Dplinth.shared=../shared] [-Dbench.mb=4] [-Dbench.seconds=5] [tokenizer.json ...]
 * </pre>
 * Without arguments it runs the GPT-2 (byte-level BPE) and BERT (WordPiece) tokenizer.json files
 * of {@code data/models}.
 */
public final class TokenizerBench {
    private static final String[] TEXT_FILES = {
        "tinystories/tinystories-train-sample.txt", "moby-dick/moby-dick.txt", "sgd-dialogues/sgd-dialogues.txt",
        "humaneval/HumanEval.jsonl", "jargon-file/jargon-4.4.7.txt", "brown/brown.jsonl",
    };
    private static final int CHUNK_CHARS = 4096;

    private TokenizerBench() {
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(System.getProperty("plinth.shared", "../shared")).toAbsolutePath().normalize().resolve("data");
        double mb = Double.parseDouble(System.getProperty("bench.mb", "4"));
        double seconds = Double.parseDouble(System.getProperty("bench.seconds", "5"));
        List<Path> jsons = new ArrayList<>();
        for (String a : args) {
            jsons.add(Path.of(a));
        }
        if (jsons.isEmpty()) {
            jsons.add(data.resolve("models/fake-gpt2/tokenizer.json"));
            jsons.add(data.resolve("models/bert-tiniest/tokenizer.json"));
        }
        List<String> chunks = chunks(data, (long) (mb * 1_000_000));
        long bytes = 0;
        for (String c : chunks) {
            bytes += c.getBytes(StandardCharsets.UTF_8).length;
        }
        System.out.printf(Locale.ROOT, "text: %.2f MB in %d chunks of ~%d chars; warm-up %.0f s, measure %.0f s per side%n",
                bytes / 1e6, chunks.size(), CHUNK_CHARS, seconds, seconds);
        System.out.println();
        System.out.println("| tokenizer.json | Plinth MB/s (wall / CPU) | HF tokenizers (DJL) MB/s (wall / CPU)"
                + " | Plinth / HF (wall / CPU) | ids identical |");
        System.out.println("|---|---|---|---|---|");
        for (Path json : jsons) {
            Tokenizer plinth = Tokenizers.fromTokenizerJson(json);
            try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(json, Map.of(
                    "truncation", "false", "padding", "false", "addSpecialTokens", "false", "maxLength", "100000000"))) {
                int same = 0;
                for (String c : chunks) {
                    long[] ref = hf.encode(c, false, false).getIds();
                    int[] got = plinth.encode(c, false, true);
                    if (Arrays.equals(ref, Arrays.stream(got).asLongStream().toArray())) {
                        same++;
                    }
                }
                Runnable plinthRun = () -> {
                    for (String c : chunks) {
                        sink += plinth.encode(c, false, true).length;
                    }
                };
                Runnable hfRun = () -> {
                    for (String c : chunks) {
                        sink += hf.encode(c, false, false).getIds().length;
                    }
                };
                double[] p = throughput(plinthRun, bytes, seconds);
                double[] h = throughput(hfRun, bytes, seconds);
                System.out.printf(Locale.ROOT, "| %s | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %d/%d |%n",
                        json.getParent().getFileName() + "/" + json.getFileName(), p[0], p[1], h[0], h[1],
                        p[0] / h[0], p[1] / h[1], same, chunks.size());
            }
        }
        if (sink == 42) {
            System.out.println();
        }
    }

    private static long sink;

    /**
     * {wall-clock MB/s, thread-CPU MB/s} of {@code pass} (one pass encodes {@code bytes}), warmed up
     * then measured by time. CPU time (this thread, native code included) is the steadier figure
     * on a shared machine.
     */
    private static double[] throughput(Runnable pass, long bytes, double seconds) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long warmEnd = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < warmEnd) {
            pass.run();
        }
        long start = System.nanoTime();
        long cpuStart = mx.getCurrentThreadCpuTime();
        long end = start + (long) (seconds * 1e9);
        int passes = 0;
        do {
            pass.run();
            passes++;
        } while (System.nanoTime() < end);
        double wall = (System.nanoTime() - start) / 1e9;
        double cpu = (mx.getCurrentThreadCpuTime() - cpuStart) / 1e9;
        double mb = passes * (double) bytes / 1e6;
        return new double[] {mb / wall, mb / cpu};
    }

    /** About {@code total} bytes of text from the shared data, cut at line ends into chunks. */
    private static List<String> chunks(Path data, long total) throws IOException {
        List<String> out = new ArrayList<>();
        long perFile = total / TEXT_FILES.length + 1;
        for (String f : TEXT_FILES) {
            Path p = data.resolve(f);
            if (!Files.isRegularFile(p)) {
                System.err.println("missing " + p + " (set -Dplinth.shared)");
                continue;
            }
            String text;
            try (InputStream in = Files.newInputStream(p)) {
                text = new String(in.readNBytes((int) Math.min(perFile, Integer.MAX_VALUE - 8)), StandardCharsets.UTF_8);
            }
            int from = 0;
            while (from < text.length()) {
                int to = Math.min(text.length(), from + CHUNK_CHARS);
                int nl = text.lastIndexOf('\n', to);
                if (to < text.length() && nl > from) {
                    to = nl + 1;
                }
                out.add(text.substring(from, to));
                from = to;
            }
        }
        if (out.isEmpty()) {
            throw new IOException("no text found under " + data);
        }
        return out;
    }
}

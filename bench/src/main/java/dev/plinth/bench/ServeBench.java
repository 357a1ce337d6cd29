package dev.plinth.bench;

import dev.plinth.model.DecoderConfig;
import dev.plinth.model.lora.LoraAdapter;
import dev.plinth.model.lora.LoraGguf;
import dev.plinth.model.lora.RandomAdapters;
import dev.plinth.product.Plinthfile;
import dev.plinth.product.ProductCreator;
import dev.plinth.product.ProductName;
import dev.plinth.product.Store;
import dev.plinth.server.PlinthServer;
import dev.plinth.server.ServerConfig;
import dev.plinth.train.MemoryReport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The serving benchmark's measurements, one kind per process (so that each peak RSS is its own);
 * {@code bench/serve-compare.sh} runs them side by side and prints the table. Each prints one
 * tab-separated line: what, streams, time to first token (ms, mean over streams), tokens/s per
 * stream (mean), tokens/s in total, peak RSS (MiB).
 *
 * <pre>
 * plinth   MODEL STREAMS PROMPT TOKENS   N streams to plinth serve (in-process, over loopback HTTP)
 * llamacpp MODEL STREAMS PROMPT TOKENS   llama.cpp's batched decoding of N sequences (LIB: -Dplinth.llamacpp.lib)
 * store    MODEL ADAPTERS PROMPT TOKENS  writes the store at -Dplinth.bench.store: MODEL as product base, and
 *                                        ADAPTERS products on it with a rank-16 LoRA adapter each (q and v)
 * products MODEL ADAPTERS PROMPT TOKENS  one stream on each of ADAPTERS products of that store (0: eight
 *                                        streams on its base product), only those products served
 * </pre>
 */
public final class ServeBench {

    /** The projections the adapters adapt: PEFT's default for llama models (q_proj, v_proj). */
    private static final List<String> ADAPTED = List.of("attn_q", "attn_v");

    private ServeBench() {
    }

    public static void main(String[] args) throws Throwable {
        String kind = args[0];
        Path model = Path.of(args[1]);
        int streams = Integer.parseInt(args[2]);
        int prompt = Integer.parseInt(args[3]);
        int tokens = Integer.parseInt(args[4]);
        int threads = Integer.getInteger("plinth.bench.threads", Runtime.getRuntime().availableProcessors());
        switch (kind) {
            case "plinth" -> report("plinth", streams, servePlinth(fileServer(model, streams, prompt + tokens), fileIds(model, streams),
                    prompt, tokens));
            case "llamacpp" -> report("llama.cpp", streams, llamaCpp(model, streams, prompt, tokens, threads));
            case "store" -> makeStore(model, streams);
            case "products" -> report(streams == 0 ? "plinth, 8 streams on the base product" : "plinth, " + streams
                    + " products with LoRA", streams == 0 ? 8 : streams, products(streams, prompt, tokens));
            default -> throw new IllegalArgumentException("unknown kind " + kind);
        }
    }

    /** Per-stream times of one run. */
    record Result(double[] ttftSeconds, double[] streamSeconds, int tokensPerStream, double wallSeconds) {
    }

    private static void report(String what, int streams, Result r) {
        double ttft = Arrays.stream(r.ttftSeconds()).average().orElse(0) * 1000;
        double perStream = Arrays.stream(r.streamSeconds()).map(s -> (r.tokensPerStream() - 1) / s).average().orElse(0);
        double total = streams * (double) r.tokensPerStream() / r.wallSeconds();
        System.out.printf(Locale.ROOT, "%s\t%d\t%.1f\t%.2f\t%.2f\t%.0f%n", what, streams, ttft, perStream, total,
                MemoryReport.peakRssBytes() / 1048576.0);
    }

    private static PlinthServer fileServer(Path model, int streams, int positions) throws Exception {
        ServerConfig config = ServerConfig.defaults(null).withAddress("127.0.0.1", 0).withModelFiles(List.of(model))
                .withBatching(Math.max(streams, 1), 4 * streams + 4, positions + 8, Runtime.getRuntime().maxMemory() / 2);
        return PlinthServer.start(config);
    }

    private static List<String> fileIds(Path model, int streams) {
        String name = model.getFileName().toString();
        String id = name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
        return java.util.Collections.nCopies(streams, id);
    }

    /** One warm-up round, then the measured one: stream i to {@code models[i]}. */
    private static Result servePlinth(PlinthServer server, List<String> models, int prompt, int tokens) throws Exception {
        try (server; HttpClient http = HttpClient.newHttpClient()) {
            run(server, http, models, prompt, Math.min(tokens, 8));
            return run(server, http, models, prompt, tokens);
        }
    }

    private static Result run(PlinthServer server, HttpClient http, List<String> models, int prompt, int tokens)
            throws Exception {
        int n = models.size();
        double[] ttft = new double[n];
        double[] decode = new double[n];
        ExecutorService pool = Executors.newFixedThreadPool(n);
        long start = System.nanoTime();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int stream = i;
                done.add(pool.submit(() -> {
                    long[] times = stream(server, http, models.get(stream), promptIds(prompt, stream), tokens);
                    ttft[stream] = (times[0] - times[2]) / 1e9;
                    decode[stream] = (times[1] - times[0]) / 1e9;
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        return new Result(ttft, decode, tokens, (System.nanoTime() - start) / 1e9);
    }

    /** Streams one completion; returns {first token, last token, request sent} in nanoseconds. */
    private static long[] stream(PlinthServer server, HttpClient http, String model, int[] prompt, int tokens) throws Exception {
        String body = "{\"model\": \"" + model + "\", \"prompt\": " + Arrays.toString(prompt) + ", \"max_tokens\": " + tokens
                + ", \"temperature\": 0, \"ignore_eos\": true, \"logprobs\": 0, \"stream\": true}";
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long sent = System.nanoTime();
        HttpResponse<java.io.InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        long first = 0;
        long last = 0;
        int seen = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("data: {") && line.contains("\"token_logprobs\"")) {
                    last = System.nanoTime();
                    first = first == 0 ? last : first;
                    seen++;
                }
            }
        }
        if (seen != tokens) {
            throw new IllegalStateException("expected " + tokens + " tokens, streamed " + seen);
        }
        return new long[] {first, last, sent};
    }

    /** A prompt of {@code length} token ids, different for each stream (no prefix to share). */
    static int[] promptIds(int length, int stream) {
        SplittableRandom random = new SplittableRandom(stream);
        int[] ids = new int[length];
        ids[0] = 1;
        for (int i = 1; i < length; i++) {
            ids[i] = 100 + random.nextInt(400);
        }
        return ids;
    }

    private static Result llamaCpp(Path model, int streams, int prompt, int tokens, int threads) throws Throwable {
        Path lib = Path.of(System.getProperty("plinth.llamacpp.lib"));
        try (LlamaCppBatched llama = new LlamaCppBatched(lib, model, streams, prompt + tokens + 8, threads)) {
            System.err.println("serve-bench: llama.cpp backend " + llama.backend());
            int[][] prompts = new int[streams][];
            for (int s = 0; s < streams; s++) {
                prompts[s] = promptIds(prompt, s);
            }
            llama.run(prompts, Math.min(tokens, 8));
            LlamaCppBatched.Timing t = llama.run(prompts, tokens);
            double[] ttft = new double[streams];
            double[] decode = new double[streams];
            Arrays.fill(ttft, t.prefillSeconds());
            Arrays.fill(decode, t.decodeSeconds());
            return new Result(ttft, decode, tokens, t.prefillSeconds() + t.decodeSeconds());
        }
    }

    /**
     * Writes a store at {@code -Dplinth.bench.store} with the model as product {@code base} and
     * {@code adapters} products on it ({@code p0}, {@code p1}, ...), each with its own rank-16 LoRA
     * adapter on the q and v projections of every block. Run in a process of its own, so that what
     * making it costs does not count in the servers' peak RSS.
     */
    private static void makeStore(Path model, int adapters) throws Exception {
        Path dir = Files.createDirectories(storeRoot().getParent());
        Store store = Store.open(storeRoot());
        create(store, dir, "base", "FROM " + model.toAbsolutePath());
        DecoderConfig config;
        try (var m = dev.plinth.model.DecoderModel.open(model)) {
            config = m.config();
        }
        for (int i = 0; i < adapters; i++) {
            LoraAdapter a = RandomAdapters.of(config, ADAPTED, 16, 16, 0.5, 100 + i);
            Path file = dir.resolve("adapter-" + i + ".gguf");
            LoraGguf.write(a, file);
            create(store, dir, "p" + i, "FROM base\nADAPTER " + file + " 1");
        }
    }

    private static Path storeRoot() {
        return Path.of(System.getProperty("plinth.bench.store"));
    }

    /** One stream on each of the store's first {@code adapters} products, or eight on its base when 0. */
    private static Result products(int adapters, int prompt, int tokens) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < adapters; i++) {
            ids.add("p" + i + ":latest");
        }
        if (adapters == 0) {
            ids = java.util.Collections.nCopies(8, "base:latest");
        }
        ServerConfig serve = ServerConfig.defaults(storeRoot()).withAddress("127.0.0.1", 0)
                .withProducts(ids.stream().distinct().toList(), false)
                .withBatching(ids.size(), 4 * ids.size(), prompt + tokens + 8, Runtime.getRuntime().maxMemory() / 2);
        return servePlinth(PlinthServer.start(serve), ids, prompt, tokens);
    }

    private static void create(Store store, Path dir, String name, String plinthfile) throws Exception {
        Path file = Files.writeString(dir.resolve("Plinthfile-" + name), plinthfile + "\n");
        ProductCreator.create(store, ProductName.parse(name), Plinthfile.read(file), false, ProductCreator.Listener.NONE);
    }
}

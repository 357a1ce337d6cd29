package dev.plinth.model.lora;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.plinth.io.ModelFormatException;
import dev.plinth.io.gguf.GgufFieldMap;
import dev.plinth.io.gguf.GgufFuzzTest;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.gguf.GgufWriter;
import dev.plinth.io.safetensors.SafetensorsFuzzTest;
import dev.plinth.model.DecoderConfig;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile adapter files: seeded mutations of valid LoRA GGUFs (F32, and Q8_0/F16) and of a PEFT
 * folder's safetensors and {@code adapter_config.json}. Each case reads or raises
 * {@link ModelFormatException}, never another exception, within a time limit
 * ({@code -Dplinth.fuzz.cases}, {@code -Dplinth.fuzz.seed}).
 */
class LoraFuzzTest {
    static final DecoderConfig LLAMA = LoraFilesTest.LLAMA;
    static final int CASES = Integer.getInteger("plinth.fuzz.cases", 1500);
    static final long SEED = Long.getLong("plinth.fuzz.seed", 20261207L);
    private static final String[] SNIPPETS = {"-1", "0", "1e40", "NaN", "null", "\"x\"", "[]", "{}", "true", "\"all\"",
        "\"(a+)+$\"", "\"[\"", "9999999999", "0.5", ",", "\"", "{\"model.layers.0.self_attn.q_proj\": 0}"};

    @TempDir
    Path tmp;

    @Test
    void mutatedLoraGgufsReadOrFailCleanly() throws Exception {
        List<byte[]> bases = List.of(Files.readAllBytes(f32Gguf()), Files.readAllBytes(quantizedGguf()));
        List<GgufFieldMap> maps = bases.stream().map(GgufFieldMap::new).toList();
        Path file = tmp.resolve("case.gguf");
        run("LoRA GGUF", i -> {
            Random r = new Random(SEED * 1_000_003L + i);
            int b = r.nextInt(bases.size());
            GgufFuzzTest.Case c = GgufFuzzTest.mutate(bases.get(b), maps.get(b), r);
            Files.write(file, c.image());
            LoraGguf.read(file);
            return c.how();
        });
    }

    @Test
    void mutatedPeftFoldersReadOrFailCleanly() throws Exception {
        Path valid = tmp.resolve("valid");
        LoraAdapter a = RandomAdapters.of(LLAMA, List.of("attn_q", "attn_k", "ffn_down"), 2, 4, 0.5, 1);
        PeftAdapters.write(new LoraAdapter("llama", false, a.pairs(),
                Map.of("score.weight", a.pairs().get("blk.0.attn_q.weight").a()), Map.of("task", "classify")), valid, LLAMA);
        byte[] weights = Files.readAllBytes(valid.resolve(PeftAdapters.WEIGHTS));
        String config = Files.readString(valid.resolve(PeftAdapters.CONFIG));
        String plinth = Files.readString(valid.resolve(PeftAdapters.PLINTH));
        Path dir = tmp.resolve("case");
        Files.createDirectories(dir);
        run("PEFT folder", i -> {
            Random r = new Random(SEED * 7_000_003L + i);
            boolean tensors = r.nextBoolean();
            Files.write(dir.resolve(PeftAdapters.WEIGHTS), tensors ? SafetensorsFuzzTest.mutate(weights, r) : weights);
            Files.writeString(dir.resolve(PeftAdapters.CONFIG), tensors ? config : mutateJson(config, r));
            Files.writeString(dir.resolve(PeftAdapters.PLINTH), r.nextInt(8) == 0 ? mutateJson(plinth, r) : plinth);
            PeftAdapters.read(dir, LLAMA);
            return tensors ? "safetensors mutated" : "config mutated";
        });
    }

    /** What a case does; returns how it was made, for the failure message. */
    @FunctionalInterface
    private interface Case {
        String run(int index) throws Exception;
    }

    private static void run(String what, Case c) {
        int[] outcomes = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(240), () -> {
            for (int i = 0; i < CASES; i++) {
                long t0 = System.nanoTime();
                try {
                    c.run(i);
                    outcomes[0]++;
                } catch (ModelFormatException e) {
                    outcomes[1]++;
                } catch (Throwable t) {
                    fail(what + " case " + i + " (seed " + SEED + ") threw " + t, t);
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms < 2000, what + " case " + i + " took " + ms + " ms");
            }
        });
        System.out.printf("%s fuzz: %d cases, %d read, %d refused with ModelFormatException%n", what, CASES, outcomes[0],
                outcomes[1]);
        assertTrue(outcomes[0] > 0 && outcomes[1] > CASES / 4, "the fuzzer should produce both outcomes");
    }

    private Path f32Gguf() throws Exception {
        Path f = tmp.resolve("f32.gguf");
        LoraAdapter a = RandomAdapters.of(LLAMA, List.of("attn_q", "ffn_down"), 2, 4, 0.5, 2);
        LoraGguf.write(new LoraAdapter("llama", false, a.pairs(), Map.of(), Map.of("base.digest", "ab")), f);
        return f;
    }

    /** A in Q8_0, B in F16, as llama.cpp's converter may store them. */
    private Path quantizedGguf() throws Exception {
        Path f = tmp.resolve("q8.gguf");
        LoraAdapter a = RandomAdapters.of(LLAMA, List.of("attn_v"), 2, 4, 0.5, 3);
        GgufWriter w = new GgufWriter().put("general.type", GgufValue.of("adapter"))
                .put("general.architecture", GgufValue.of("llama")).put("adapter.type", GgufValue.of("lora"))
                .put("adapter.lora.alpha", GgufValue.ofFloat32(4));
        a.pairs().forEach((name, p) -> {
            w.add(named(name + ".lora_a", Quantization.quantize(p.a(), DType.Q8_0)));
            w.add(named(name + ".lora_b", Quantization.quantize(p.b(), DType.F16)));
        });
        w.write(f);
        return f;
    }

    private static Tensor named(String name, Tensor t) {
        return new Tensor(name, t.dtype(), t.shape(), t.data());
    }

    /** One edit of a JSON text: a number changed, a snippet spliced in, or a few characters cut. */
    static String mutateJson(String json, Random r) {
        switch (r.nextInt(3)) {
            case 0 -> {
                Matcher m = Pattern.compile("-?\\d+(\\.\\d+)?").matcher(json);
                List<int[]> spans = new ArrayList<>();
                while (m.find()) {
                    spans.add(new int[] {m.start(), m.end()});
                }
                if (spans.isEmpty()) {
                    return json + SNIPPETS[r.nextInt(SNIPPETS.length)];
                }
                int[] s = spans.get(r.nextInt(spans.size()));
                return json.substring(0, s[0]) + SNIPPETS[r.nextInt(SNIPPETS.length)] + json.substring(s[1]);
            }
            case 1 -> {
                int at = r.nextInt(json.length());
                return json.substring(0, at) + SNIPPETS[r.nextInt(SNIPPETS.length)] + json.substring(at);
            }
            default -> {
                int at = r.nextInt(json.length());
                int cut = Math.min(json.length() - at, 1 + r.nextInt(6));
                return new String((json.substring(0, at) + json.substring(at + cut)).getBytes(StandardCharsets.UTF_8),
                        StandardCharsets.UTF_8);
            }
        }
    }
}

package dev.plinth.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.SharedData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A seeded, reproducible sample of varied strings for tokenizer conformance tests: windows of real
 * prose, code and dialogue from {@code ../shared/data}, the llama.cpp tokenizer test inputs, and
 * generated variations (whitespace runs, tabs and newlines, long numbers, emoji and ZWJ sequences,
 * mixed scripts, contractions). Skips the calling test when the shared data are absent.
 */
public final class ConformanceStrings {
    public static final long DEFAULT_SEED = 20261128L;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int READ_LIMIT = 2 << 20;

    private static final String[] SCRIPTS = {
        "Привет, как дела? Всё хорошо.", "Καλημέρα κόσμε, τι κάνεις;", "你好，世界！今天天气很好。",
        "日本語のテキスト、カタカナとひらがな。", "안녕하세요 세계, 반갑습니다.", "مرحبا بالعالم، كيف حالك؟",
        "שלום עולם", "नमस्ते दुनिया, आप कैसे हैं?", "สวัสดีชาวโลก", "Xin chào thế giới, tôi là người Việt.",
        "Zürich, Málaga, Ærøskøbing, Łódź, İstanbul, straße", "ﬁ ﬂ Ⅻ ½ ² ³ ① ㊿ ٣٤٥ ०१२", "Ǆ ǅ ǆ ΐ ẞ ß ſ K Å",
        "\u00a0non\u2009breaking\u202fspaces\u3000ideographic", "e\u0301 a\u0308 n\u0303 combining marks",
    };
    private static final String[] EMOJI = {
        "😀", "🚀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇯🇵", "❤️", "🤖", "🦙", "☕", "👩🏿‍💻", "🧑‍🚀", "🙂‍↔️",
    };
    private static final String[] CONTRACTIONS = {
        "I'm", "you're", "he's", "she'll", "we've", "they'd", "don't", "CAN'T", "It'S", "WE'VE", "y'all",
        "'tis", "rock 'n' roll", "o'clock", "isn’t", "’s", "''", "'''", "'", "' s", "'ll've",
    };
    private static final String[] SPACES = {" ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", " \n ", "\n \n",
        "    ", "        ", "\u00a0", "\u2003", "\u3000", "\u000b", "\f", "\u0085", "\u2028", " \t \n"};

    private ConformanceStrings() {
    }

    /** The default sample: at least {@code count} distinct non-empty strings. */
    public static List<String> sample(int count) {
        return sample(count, DEFAULT_SEED);
    }

    public static List<String> sample(int count, long seed) {
        return CACHE.computeIfAbsent(count + ":" + seed, k -> build(count, seed));
    }

    private static final java.util.Map<String, List<String>> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    private static List<String> build(int count, long seed) {
        Random random = new Random(seed);
        List<String> texts = new ArrayList<>();
        texts.add(jsonField("brown/brown.jsonl", "text"));
        texts.add(read("tinystories/tinystories-train-sample.txt"));
        texts.add(read("moby-dick/moby-dick.txt"));
        texts.add(jsonField("humaneval/HumanEval.jsonl", "prompt") + jsonField("humaneval/HumanEval.jsonl",
                "canonical_solution"));
        texts.add(jsonField("mbpp/mbpp.jsonl", "code"));
        texts.add(read("sgd-dialogues/sgd-dialogues.txt"));
        Set<String> out = new LinkedHashSet<>(llamaCppInputs());
        int natural = count * 3 / 5;
        while (out.size() < natural) {
            String source = texts.get(random.nextInt(texts.size()));
            out.add(window(source, random, 1 + random.nextInt(random.nextInt(8) == 0 ? 2000 : 300)));
        }
        while (out.size() < count) {
            out.add(generated(random, texts));
        }
        return List.copyOf(out);
    }

    /** The inputs of llama.cpp's tokenizer tests (all {@code *.gguf.inp} files, deduplicated). */
    public static List<String> llamaCppInputs() {
        Path dir = SharedData.require("tokenizer-vectors");
        Set<String> out = new LinkedHashSet<>();
        try (var files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".inp")).sorted().toList()) {
                for (String s : readVectorInputs(p)) {
                    if (!s.isEmpty()) {
                        out.add(s);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.copyOf(out);
    }

    /** Splits a llama.cpp {@code .inp} file on its separator; the trailing empty piece is dropped. */
    public static List<String> readVectorInputs(Path inp) throws IOException {
        String all = Files.readString(inp, StandardCharsets.UTF_8);
        String sep = "\n__ggml_vocab_test__\n";
        List<String> parts = new ArrayList<>(List.of(all.split(java.util.regex.Pattern.quote(sep), -1)));
        if (!parts.isEmpty() && parts.getLast().isEmpty()) {
            parts.removeLast();
        }
        return parts;
    }

    private static String generated(Random r, List<String> texts) {
        StringBuilder sb = new StringBuilder();
        int parts = 1 + r.nextInt(8);
        for (int i = 0; i < parts; i++) {
            switch (r.nextInt(9)) {
                case 0 -> sb.append(SPACES[r.nextInt(SPACES.length)]);
                case 1 -> sb.append(number(r));
                case 2 -> sb.append(EMOJI[r.nextInt(EMOJI.length)]);
                case 3 -> sb.append(SCRIPTS[r.nextInt(SCRIPTS.length)]);
                case 4 -> sb.append(CONTRACTIONS[r.nextInt(CONTRACTIONS.length)]);
                case 5 -> sb.append(" ".repeat(1 + r.nextInt(12)));
                case 6 -> sb.append("\n".repeat(1 + r.nextInt(4)));
                case 7 -> sb.append(asciiNoise(r));
                default -> sb.append(window(texts.get(r.nextInt(texts.size())), r, 1 + r.nextInt(60)));
            }
        }
        return sb.toString();
    }

    private static String number(Random r) {
        return switch (r.nextInt(5)) {
            case 0 -> Integer.toString(r.nextInt(1000));
            case 1 -> Long.toString(Math.abs(r.nextLong()));
            case 2 -> String.format("%.4f", r.nextDouble() * 1e6);
            case 3 -> "1,234,567.89";
            default -> "0".repeat(1 + r.nextInt(9)) + r.nextInt(100);
        };
    }

    private static String asciiNoise(Random r) {
        StringBuilder sb = new StringBuilder();
        int n = 1 + r.nextInt(16);
        for (int i = 0; i < n; i++) {
            sb.append((char) (0x20 + r.nextInt(0x5f)));
        }
        return sb.toString();
    }

    /** A window of {@code len} chars at a random place, never splitting a surrogate pair. */
    private static String window(String s, Random r, int len) {
        if (s.length() <= len) {
            return s;
        }
        int start = r.nextInt(s.length() - len);
        int end = start + len;
        if (Character.isLowSurrogate(s.charAt(start))) {
            start++;
        }
        if (end < s.length() && Character.isLowSurrogate(s.charAt(end))) {
            end++;
        }
        String w = s.substring(start, end);
        return w.isEmpty() ? s.substring(0, 1) : w;
    }

    private static String read(String relative) {
        Path p = SharedData.require(relative);
        try (var in = Files.newInputStream(p)) {
            byte[] bytes = in.readNBytes(READ_LIMIT);
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String jsonField(String relative, String field) {
        String all = read(relative);
        StringBuilder sb = new StringBuilder();
        for (String line : all.split("\n")) {
            try {
                JsonNode node = JSON.readTree(line);
                if (node != null && node.hasNonNull(field)) {
                    sb.append(node.get(field).asText()).append('\n');
                }
            } catch (IOException e) {
                // the last line may be cut by READ_LIMIT
            }
        }
        return sb.toString();
    }
}

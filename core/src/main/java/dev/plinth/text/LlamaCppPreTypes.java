package dev.plinth.text;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * llama.cpp's byte-level BPE pre-tokenizers, by the {@code tokenizer.ggml.pre} names that select
 * them: the regexes it applies in order (each splits the pieces of the previous one, keeping
 * unmatched gaps), and the flags the name implies.
 */
final class LlamaCppPreTypes {

    /** One pre-tokenizer: its regexes, whether whole-word vocabulary hits skip merging, whether BOS is added. */
    record Spec(String name, List<String> regexes, boolean ignoreMerges, boolean addBos) {
    }

    private static final String CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
    private static final String QWEN2 = CONTRACTIONS
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN35 = CONTRACTIONS
            + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String DEEPSEEK3 = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+"
            + "|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+";
    private static final String TEKKEN = "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+"
            + "|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String GPT4O = "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+"
            + CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*" + CONTRACTIONS
            + "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String GENERIC = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    private static final String CJK = "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";
    private static final String BLOOM = " ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+";
    // The letters DeepSeek-LLM's tokenizer.json lists explicitly instead of \p{L}.
    private static final String DEEPSEEK_LLM_LETTERS = "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA"
            + "\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386"
            + "\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5"
            + "\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A"
            + "\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D"
            + "\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC"
            + "\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128"
            + "\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B"
            + "\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787"
            + "\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A"
            + "\uD801\uDC00-\uD801\uDC4F\uD801\uDCB0-\uD801\uDCD3\uD801\uDCD8-\uD801\uDCFB\uD803\uDC80-\uD803\uDCB2"
            + "\uD803\uDCC0-\uD803\uDCF2\uD806\uDCA0-\uD806\uDCDF\uD83A\uDD00-\uD83A\uDD43]+";

    private static final Map<String, Spec> SPECS = build();

    private LlamaCppPreTypes() {
    }

    /** The spec for {@code pre}, or null when llama.cpp's pre-tokenizer of that name is not supported here. */
    static Spec of(String pre) {
        return SPECS.get(pre == null ? "" : pre);
    }

    /** All supported {@code tokenizer.ggml.pre} names. */
    static java.util.Set<String> names() {
        return SPECS.keySet();
    }

    private static Map<String, Spec> build() {
        Map<String, Spec> m = new TreeMap<>();
        List<String> gpt2 = List.of(LlamaCppSplits.GPT2_REGEX);
        for (String n : List.of("gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de",
                "a.x-4.0", "mellum", "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "exaone4", "mpt",
                "olmo", "jais", "trillion", "granite-docling")) {
            put(m, n, gpt2, false, false);
        }
        for (String n : List.of("llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0",
                "lfm2", "jina-v5-nano")) {
            put(m, n, List.of(LlamaCppSplits.LLAMA3_REGEX), true, true);
        }
        for (String n : List.of("dbrx", "smaug-bpe", "glm4", "chatglm-bpe")) {
            put(m, n, List.of(LlamaCppSplits.LLAMA3_REGEX), false, false);
        }
        put(m, "deepseek-llm", List.of("[\r\n]", DEEPSEEK_LLM_LETTERS,
                "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+", "\\s+$", CJK, "\\p{N}+"),
                false, false);
        put(m, "deepseek-coder", List.of("[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", CJK, "\\p{N}"), false, false);
        for (String n : List.of("deepseek-v3", "hunyuan-dense", "joyai-llm", "hy_v4")) {
            put(m, n, List.of("\\p{N}{1,3}", "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+", DEEPSEEK3), false, false);
        }
        put(m, "falcon", List.of("[\\p{P}\\$\\+<=>\\^~\\|`]+", GENERIC, "[0-9][0-9][0-9]"), false, false);
        for (String n : List.of("starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b",
                "mellum2")) {
            put(m, n, List.of("\\p{N}", GENERIC), false, false);
        }
        for (String n : List.of("qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan",
                "solar-open")) {
            put(m, n, List.of(QWEN2), false, false);
        }
        put(m, "qwen35", List.of(QWEN35), false, false);
        for (String n : List.of("poro-chat", "bloom", "gpt3-finnish")) {
            put(m, n, List.of(BLOOM), false, false);
        }
        put(m, "viking", List.of(BLOOM, "\\p{N}"), false, false);
        put(m, "tekken", List.of(TEKKEN), true, true);
        for (String n : List.of("gpt-4o", "llama4", "kanana2", "talkie")) {
            put(m, n, List.of(GPT4O), false, false);
        }
        put(m, "seed-coder", List.of(CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}"
                + "| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"), false, false);
        put(m, "grok-2", List.of(QWEN2), false, false);
        put(m, "ufakzeka", List.of("[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"), false, false);
        for (String n : List.of("bailingmoe", "bailingmoe2", "llada-moe")) {
            put(m, n, List.of("'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
                    + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"), false, false);
        }
        put(m, "minicpm5", List.of("\\p{N}{1,3}", CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}+"
                + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"), true, false);
        put(m, "laguna", List.of("[^\\n]+|[\\n]+", QWEN2), false, false);
        List<String> def = List.of("[\\p{P}\\$\\+<=>\\^~\\|]+", GENERIC, "\\p{N}+", "[0-9][0-9][0-9]");
        put(m, "", def, false, false);
        put(m, "default", def, false, false);
        return m;
    }

    private static void put(Map<String, Spec> m, String name, List<String> regexes, boolean ignoreMerges,
                            boolean addBos) {
        m.put(name, new Spec(name, regexes, ignoreMerges, addBos));
    }
}

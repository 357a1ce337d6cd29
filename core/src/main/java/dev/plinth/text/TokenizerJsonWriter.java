package dev.plinth.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Writes a {@link ByteLevelBpeTokenizer} as a Hugging Face {@code tokenizer.json} that HF tokenizers
 * loads and that tokenizes as this tokenizer does. llama.cpp pre-tokenizers become a Sequence of
 * {@code Split} steps (one per llama.cpp regex, matches isolated) followed by a ByteLevel step
 * without its own regex; tokenizers read from tokenizer.json keep their original configuration.
 * Merges whose parts or result are not vocabulary entries are left out (HF refuses them). The file
 * is written atomically (temporary file, fsync, rename).
 */
public final class TokenizerJsonWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String NON_ASCII_WHITESPACE_EXCLUDED =
            "&&[^\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}]";

    private TokenizerJsonWriter() {
    }

    /** Writes {@code tokenizer} to {@code out}. Returns the number of merges left out. */
    public static int write(ByteLevelBpeTokenizer tokenizer, Path out) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        root.set("added_tokens", addedTokens(tokenizer));
        switch (tokenizer.source()) {
            case ByteLevelBpeTokenizer.LlamaCpp l -> {
                root.putNull("normalizer");
                root.set("pre_tokenizer", llamaCppPreTokenizer(l.regexes()));
                root.set("post_processor", templateOrByteLevel(tokenizer));
            }
            case ByteLevelBpeTokenizer.HfJson h -> {
                root.set("normalizer", JSON.readTree(h.normalizer()));
                root.set("pre_tokenizer", JSON.readTree(h.preTokenizer()));
                root.set("post_processor", JSON.readTree(h.postProcessor()));
            }
        }
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "ByteLevel");
        decoder.put("add_prefix_space", true);
        decoder.put("trim_offsets", true);
        decoder.put("use_regex", true);
        int[] dropped = new int[1];
        root.set("model", model(tokenizer.model(), dropped));
        writeAtomically(root, out);
        return dropped[0];
    }

    private static ArrayNode addedTokens(ByteLevelBpeTokenizer tokenizer) {
        ArrayNode added = JSON.createArrayNode();
        List<SpecialTokens.Entry> tokens = new java.util.ArrayList<>(tokenizer.specialTokens().entries());
        tokens.sort(java.util.Comparator.comparingInt(SpecialTokens.Entry::id));
        for (SpecialTokens.Entry t : tokens) {
            ObjectNode a = added.addObject();
            a.put("id", t.id());
            a.put("content", t.text());
            a.put("single_word", false);
            a.put("lstrip", t.lstrip());
            a.put("rstrip", t.rstrip());
            a.put("normalized", false);
            a.put("special", t.special());
        }
        return added;
    }

    private static JsonNode llamaCppPreTokenizer(List<String> regexes) {
        ObjectNode seq = JSON.createObjectNode();
        seq.put("type", "Sequence");
        ArrayNode steps = seq.putArray("pretokenizers");
        for (String regex : regexes) {
            ObjectNode split = steps.addObject();
            split.put("type", "Split");
            split.putObject("pattern").put("Regex", toOniguruma(regex));
            split.put("behavior", "Isolated");
            split.put("invert", false);
        }
        ObjectNode byteLevel = steps.addObject();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", true);
        byteLevel.put("use_regex", false);
        return seq;
    }

    /**
     * llama.cpp's regexes in Oniguruma terms: its GPT-2 matcher also takes trailing whitespace
     * ({@code |\s+}), and ECMAScript's {@code $} is the end of the piece ({@code \z}).
     */
    static String toOniguruma(String regex) {
        if (regex.equals(LlamaCppSplits.GPT2_REGEX)) {
            return regex + "|\\s+";
        }
        // Where llama.cpp runs std::wregex (no \\p{..} in the regex) it first turns non-ASCII
        // whitespace into U+000B, so a bracket class never matches such a character literally.
        boolean wregex = !LlamaCppSplits.Regex.usesCategories(regex) && regex.chars().anyMatch(c -> c > 0x7f);
        StringBuilder sb = new StringBuilder();
        boolean inside = false;
        boolean negated = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                sb.append(c).append(regex.charAt(++i));
                continue;
            }
            if (c == '[' && !inside) {
                inside = true;
                negated = i + 1 < regex.length() && regex.charAt(i + 1) == '^';
            } else if (c == ']' && inside) {
                inside = false;
                if (wregex && !negated) {
                    sb.append(NON_ASCII_WHITESPACE_EXCLUDED);
                }
            } else if (c == '$' && !inside) {
                sb.append("\\z");
                continue;
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static JsonNode templateOrByteLevel(ByteLevelBpeTokenizer tokenizer) {
        int[] prefix = tokenizer.prefix();
        int[] suffix = tokenizer.suffix();
        ObjectNode post = JSON.createObjectNode();
        if (prefix.length == 0 && suffix.length == 0) {
            post.put("type", "ByteLevel");
            post.put("add_prefix_space", true);
            post.put("trim_offsets", false);
            post.put("use_regex", true);
            return post;
        }
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        ArrayNode pair = post.putArray("pair");
        ObjectNode specials = JSON.createObjectNode();
        for (int id : prefix) {
            special(single, specials, tokenizer, id);
            special(pair, specials, tokenizer, id);
        }
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        for (int id : suffix) {
            special(single, specials, tokenizer, id);
            special(pair, specials, tokenizer, id);
        }
        for (int id : prefix) {
            special(pair, specials, tokenizer, id);
        }
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        for (int id : suffix) {
            special(pair, specials, tokenizer, id);
        }
        post.set("special_tokens", specials);
        return post;
    }

    private static void special(ArrayNode template, ObjectNode specials, ByteLevelBpeTokenizer tokenizer, int id) {
        String text = tokenizer.piece(id);
        template.addObject().putObject("SpecialToken").put("id", text).put("type_id", 0);
        ObjectNode entry = specials.putObject(text);
        entry.put("id", text);
        entry.putArray("ids").add(id);
        entry.putArray("tokens").add(text);
    }

    private static JsonNode model(BpeModel bpe, int[] dropped) {
        ObjectNode model = JSON.createObjectNode();
        model.put("type", "BPE");
        model.putNull("dropout");
        if (bpe.unkId() >= 0) {
            model.put("unk_token", bpe.tokens()[bpe.unkId()]);
        } else {
            model.putNull("unk_token");
        }
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", bpe.ignoreMerges());
        ObjectNode vocab = model.putObject("vocab");
        String[] tokens = bpe.tokens();
        for (int id = 0; id < tokens.length; id++) {
            vocab.put(tokens[id], id);
        }
        var ids = bpe.ids();
        boolean pairs = bpe.merges().stream().anyMatch(m -> m[0].contains(" ") || m[1].contains(" "));
        ArrayNode merges = model.putArray("merges");
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String[] m : bpe.merges()) {
            boolean valid = !m[0].isEmpty() && !m[1].isEmpty() && ids.containsKey(m[0]) && ids.containsKey(m[1])
                    && ids.containsKey(m[0] + m[1]) && seen.add(m[0] + "\u0000" + m[1]);
            if (!valid) {
                dropped[0]++;
            } else if (pairs) {
                merges.addArray().add(m[0]).add(m[1]);
            } else {
                merges.add(m[0] + " " + m[1]);
            }
        }
        return model;
    }

    private static void writeAtomically(JsonNode root, Path out) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, out.getFileName().toString(), ".tmp");
        try {
            try (OutputStream os = Files.newOutputStream(tmp, StandardOpenOption.WRITE)) {
                JSON.writerWithDefaultPrettyPrinter().writeValue(os, root);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}

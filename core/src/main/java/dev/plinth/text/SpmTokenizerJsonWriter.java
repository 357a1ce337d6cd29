package dev.plinth.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.io.gguf.GgufFile;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Writes a GGUF {@code llama} vocabulary as a Hugging Face {@code tokenizer.json}. */
final class SpmTokenizerJsonWriter {
    private SpmTokenizerJsonWriter() {
    }

    private record Merge(String left, String right, int leftId, int rightId, float score) {
    }

    static void write(GgufFile gguf, Path out) throws IOException {
        Tokenizer t = Tokenizers.fromGguf(gguf);
        if (!(t instanceof SpmTokenizer spm)) {
            throw new UnsupportedTokenizerException(gguf.path(), "tokenizer.ggml.model",
                    gguf.getString("tokenizer.ggml.model", ""), "llama");
        }
        Vocabulary v = spm.vocabulary();
        boolean addSpacePrefix = gguf.getBool("tokenizer.ggml.add_space_prefix", true);
        boolean addBos = gguf.getBool("tokenizer.ggml.add_bos_token", true);
        boolean addEos = gguf.getBool("tokenizer.ggml.add_eos_token", false);
        int unk = GgufTokenizers.specialId(gguf, v, "tokenizer.ggml.unknown_token_id", 0);

        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < v.size(); id++) {
            int type = v.type(id);
            if (type == Vocabulary.CONTROL || type == Vocabulary.UNKNOWN || type == Vocabulary.USER_DEFINED) {
                ObjectNode a = added.addObject();
                a.put("id", id);
                a.put("content", v.piece(id));
                a.put("single_word", false);
                a.put("lstrip", false);
                a.put("rstrip", false);
                a.put("normalized", false);
                a.put("special", type != Vocabulary.USER_DEFINED);
            }
        }
        ObjectNode norm = root.putObject("normalizer");
        norm.put("type", "Sequence");
        ArrayNode steps = norm.putArray("normalizers");
        if (addSpacePrefix) {
            steps.addObject().put("type", "Prepend").put("prepend", "\u2581");
        }
        ObjectNode replace = steps.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", "\u2581");
        root.putNull("pre_tokenizer");
        root.set("post_processor", template(json, v, addBos ? spm.bosId() : -1, addEos ? spm.eosId() : -1));
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "Sequence");
        ArrayNode decs = dec.putArray("decoders");
        ObjectNode r = decs.addObject().put("type", "Replace");
        r.putObject("pattern").put("String", "\u2581");
        r.put("content", " ");
        decs.addObject().put("type", "ByteFallback");
        decs.addObject().put("type", "Fuse");
        if (addSpacePrefix) {
            decs.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        }
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        if (unk >= 0) {
            model.put("unk_token", v.piece(unk));
        } else {
            model.putNull("unk_token");
        }
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < v.size(); id++) {
            vocab.put(v.piece(id), id);
        }
        ArrayNode merges = model.putArray("merges");
        for (Merge m : merges(v)) {
            merges.add(m.left() + " " + m.right());
        }
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        json.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * As HF's SentencePiece extractor: every split of every piece into two pieces is a merge;
     * merges of one piece ordered by the ids of their parts, all merges by the merged piece's
     * score, best first (stable). Parts containing a space cannot be written and are skipped.
     */
    static List<Merge> merges(Vocabulary v) {
        List<Merge> all = new ArrayList<>();
        for (int id = 0; id < v.size(); id++) {
            String piece = v.piece(id);
            List<Merge> local = new ArrayList<>();
            for (int cut = piece.offsetByCodePoints(0, 1); cut < piece.length(); cut = piece.offsetByCodePoints(cut, 1)) {
                String left = piece.substring(0, cut);
                String right = piece.substring(cut);
                int l = v.id(left);
                int r = v.id(right);
                if (l >= 0 && r >= 0 && left.indexOf(' ') < 0 && right.indexOf(' ') < 0) {
                    local.add(new Merge(left, right, l, r, v.score(id)));
                }
            }
            local.sort(Comparator.comparingInt(Merge::leftId).thenComparingInt(Merge::rightId));
            all.addAll(local);
        }
        all.sort(Comparator.comparingDouble((Merge m) -> -m.score()));
        return all;
    }

    private static ObjectNode template(ObjectMapper json, Vocabulary v, int bos, int eos) {
        ObjectNode pp = json.createObjectNode();
        pp.put("type", "TemplateProcessing");
        for (String kind : new String[] {"single", "pair"}) {
            ArrayNode seq = pp.putArray(kind);
            String[] parts = kind.equals("single") ? new String[] {"A"} : new String[] {"A", "B"};
            for (String part : parts) {
                int typeId = part.equals("A") ? 0 : 1;
                if (bos >= 0) {
                    seq.addObject().putObject("SpecialToken").put("id", v.piece(bos)).put("type_id", typeId);
                }
                seq.addObject().putObject("Sequence").put("id", part).put("type_id", typeId);
                if (eos >= 0) {
                    seq.addObject().putObject("SpecialToken").put("id", v.piece(eos)).put("type_id", typeId);
                }
            }
        }
        ObjectNode specials = pp.putObject("special_tokens");
        for (int id : new int[] {bos, eos}) {
            if (id >= 0) {
                ObjectNode s = specials.putObject(v.piece(id));
                s.put("id", v.piece(id));
                s.putArray("ids").add(id);
                s.putArray("tokens").add(v.piece(id));
            }
        }
        return pp;
    }
}

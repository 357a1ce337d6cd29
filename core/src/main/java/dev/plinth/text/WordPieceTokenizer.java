package dev.plinth.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * BERT's WordPiece: the text is normalised and cut into words (whitespace, punctuation and CJK
 * ideographs end words), and each word is covered greedily by the longest pieces, or becomes the
 * unknown token when it cannot be covered. Two dialects, one per reference:
 * <ul>
 * <li>{@link Dialect#LLAMA_CPP}: a GGUF {@code bert} vocabulary, where word-initial pieces carry a
 * ▁ and continuations are bare; normalisation as llama.cpp's WPM tokenizer (one-to-one NFD,
 * simple lowercase, Unicode categories for control, marks, punctuation).</li>
 * <li>{@link Dialect#HUGGING_FACE}: a {@code tokenizer.json} WordPiece model with {@code ##}
 * continuations, BertNormalizer (clean_text, handle_chinese_chars, strip_accents, lowercase) and
 * BertPreTokenizer.</li>
 * </ul>
 */
final class WordPieceTokenizer implements Tokenizer {

    enum Dialect { LLAMA_CPP, HUGGING_FACE }

    /** BertNormalizer's options; {@code stripAccents} already resolved against lowercase. */
    record Normalization(boolean cleanText, boolean chineseChars, boolean stripAccents, boolean lowercase) {
    }

    private static final String PHANTOM_SPACE = "\u2581";

    private final Vocabulary vocab;
    private final SpecialTokens specials;
    private final Dialect dialect;
    private final Normalization norm;
    private final String continuation;
    private final int maxWordChars;
    private final int unkId;
    private final int[] prefixIds;
    private final int[] suffixIds;
    private final int bosId;
    private final int eosId;
    private final boolean cleanup;

    WordPieceTokenizer(Vocabulary vocab, SpecialTokens specials, Dialect dialect, Normalization norm,
            String continuation, int maxWordChars, int unkId, int[] prefixIds, int[] suffixIds, int bosId,
            int eosId, boolean cleanup) {
        this.vocab = vocab;
        this.specials = specials;
        this.dialect = dialect;
        this.norm = norm;
        this.continuation = continuation;
        this.maxWordChars = maxWordChars;
        this.unkId = unkId;
        this.prefixIds = prefixIds.clone();
        this.suffixIds = suffixIds.clone();
        this.bosId = bosId;
        this.eosId = eosId;
        this.cleanup = cleanup;
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (addSpecial) {
            out.addAll(prefixIds);
        }
        for (SpecialTokens.Fragment f : specials.split(text, parseSpecial)) {
            switch (f) {
                case SpecialTokens.Token(int id) -> out.add(id);
                case SpecialTokens.Text(String raw) -> {
                    List<String> words = dialect == Dialect.LLAMA_CPP ? llamaCppWords(raw) : huggingFaceWords(raw);
                    for (String w : words) {
                        if (dialect == Dialect.LLAMA_CPP) {
                            encodeLlamaCppWord(w, out);
                        } else {
                            encodeHfWord(w, out);
                        }
                    }
                }
            }
        }
        if (addSpecial) {
            out.addAll(suffixIds);
        }
        return out.toArray();
    }

    /** llama.cpp's WPM preprocess: normalise and split in one pass over the code points. */
    List<String> llamaCppWords(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (norm.stripAccents()) {
                cp = UnicodeClass.nfdFirst(cp);
            }
            if (UnicodeClass.isWhiteSpace(cp)) {
                flush(word, words);
                continue;
            }
            if (cp == 0 || cp == 0xFFFD || UnicodeClass.isControlCategory(cp)) {
                continue;
            }
            if (norm.stripAccents() && UnicodeClass.isMark(cp)) {
                continue;
            }
            int out = norm.lowercase() ? Character.toLowerCase(cp) : cp;
            if (UnicodeClass.isPunctuation(cp) || (cp < 0x7F && UnicodeClass.isSymbol(cp))
                    || UnicodeClass.isChineseChar(cp)) {
                flush(word, words);
                words.add(Character.toString(out));
            } else {
                word.appendCodePoint(out);
            }
        }
        flush(word, words);
        return words;
    }

    private static void flush(StringBuilder word, List<String> words) {
        if (!word.isEmpty()) {
            words.add(word.toString());
            word.setLength(0);
        }
    }

    /** llama.cpp: greedy longest match over "▁" + word; a word not fully covered is [UNK]. */
    private void encodeLlamaCppWord(String w, IntList out) {
        String word = PHANTOM_SPACE + w;
        int n = word.length();
        int mark = out.size();
        IntList tokens = new IntList(8);
        boolean ok = true;
        for (int i = 0; i < n && ok; ) {
            ok = false;
            for (int j = Math.min(n, i + vocab.maxPieceChars()); j > i; j--) {
                int id = vocab.id(word, i, j);
                if (id >= 0) {
                    tokens.add(id);
                    i = j;
                    ok = true;
                    break;
                }
            }
        }
        if (ok) {
            out.addAll(tokens.toArray());
        }
        if (out.size() == mark) {
            out.add(unkId);
        }
    }

    /** Hugging Face BertNormalizer followed by BertPreTokenizer. */
    List<String> huggingFaceWords(String text) {
        StringBuilder s = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (norm.cleanText()) {
                if (cp == 0 || cp == 0xFFFD || (cp != '\t' && cp != '\n' && cp != '\r' && UnicodeClass.isOther(cp))) {
                    continue;
                }
                if (UnicodeClass.isWhiteSpace(cp)) {
                    cp = ' ';
                }
            }
            if (norm.chineseChars() && UnicodeClass.isChineseChar(cp)) {
                s.append(' ').appendCodePoint(cp).append(' ');
            } else {
                s.appendCodePoint(cp);
            }
        }
        String normalized = s.toString();
        if (norm.stripAccents()) {
            String nfd = java.text.Normalizer.normalize(normalized, java.text.Normalizer.Form.NFD);
            StringBuilder t = new StringBuilder(nfd.length());
            nfd.codePoints().filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK)
                    .forEach(t::appendCodePoint);
            normalized = t.toString();
        }
        if (norm.lowercase()) {
            StringBuilder t = new StringBuilder(normalized.length());
            // per code point, without Greek final-sigma context, as Rust's char::to_lowercase
            normalized.codePoints().forEach(cp -> t.append(Character.toString(cp).toLowerCase(Locale.ROOT)));
            normalized = t.toString();
        }
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < normalized.length(); ) {
            int cp = normalized.codePointAt(i);
            i += Character.charCount(cp);
            if (UnicodeClass.isWhiteSpace(cp)) {
                flush(word, words);
            } else if ((cp < 0x80 && isAsciiPunctuation(cp)) || UnicodeClass.isPunctuation(cp)) {
                flush(word, words);
                words.add(Character.toString(cp));
            } else {
                word.appendCodePoint(cp);
            }
        }
        flush(word, words);
        return words;
    }

    private static boolean isAsciiPunctuation(int c) {
        return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    }

    /** Hugging Face WordPiece: longest prefix, then "##"-prefixed continuations; else [UNK]. */
    private void encodeHfWord(String word, IntList out) {
        if (word.codePointCount(0, word.length()) > maxWordChars) {
            out.add(unkId);
            return;
        }
        IntList tokens = new IntList(8);
        int start = 0;
        int n = word.length();
        while (start < n) {
            int found = -1;
            int end = n;
            while (end > start) {
                String sub = word.substring(start, end);
                int id = vocab.id(start > 0 ? continuation + sub : sub);
                if (id >= 0) {
                    found = id;
                    break;
                }
                end = Character.isLowSurrogate(word.charAt(end - 1)) && end - 2 > start ? end - 2 : end - 1;
            }
            if (found < 0) {
                out.add(unkId);
                return;
            }
            tokens.add(found);
            start = end;
        }
        out.addAll(tokens.toArray());
    }

    /**
     * Llama.cpp dialect: pieces with ▁ as space, then llama.cpp's clean-up of spaces before
     * punctuation. Hugging Face dialect: the WordPiece decoder (pieces joined by spaces, ##
     * continuations glued, optional clean-up).
     */
    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        if (dialect == Dialect.LLAMA_CPP) {
            for (int id : ids) {
                check(id);
                int type = vocab.type(id);
                if (type == Vocabulary.NORMAL) {
                    sb.append(vocab.piece(id).replace('\u2581', ' '));
                } else if (type == Vocabulary.CONTROL || type == Vocabulary.UNKNOWN || type == Vocabulary.USER_DEFINED) {
                    sb.append(vocab.piece(id));
                }
            }
            return llamaCppCleanSpaces(sb.toString());
        }
        for (int i = 0; i < ids.length; i++) {
            check(ids[i]);
            String p = vocab.piece(ids[i]);
            if (i > 0) {
                p = p.startsWith(continuation) ? p.substring(continuation.length()) : " " + p;
            }
            sb.append(cleanup ? hfCleanup(p) : p);
        }
        return sb.toString();
    }

    private void check(int id) {
        if (!vocab.contains(id)) {
            throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + vocab.size());
        }
    }

    /**
     * llama.cpp's clean_spaces passes (" ?", " !", " .", " ,"; " ' "; " 's", " 'm", " 're", " 've"),
     * done in place on one buffer as llama.cpp does: the second pass blanks the space after a
     * " ' " so that a following apostrophe no longer sees a space before it.
     */
    static String llamaCppCleanSpaces(String t) {
        char[] text = t.toCharArray();
        int total1 = text.length;
        int total = total1 > 0 ? 1 : 0;
        for (int i = 1; i < total1; i++) {
            char x = text[i];
            if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) {
                total--;
            }
            text[total++] = x;
        }
        int total2 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total2; i++) {
            char x = text[i];
            if (x == '\'' && i + 1 < total2 && text[i - 1] == ' ' && text[i + 1] == ' ') {
                total--;
                text[++i] = '\0';
            }
            text[total++] = x;
        }
        int total3 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total3; i++) {
            char x = text[i];
            if (text[i - 1] == ' ' && x == '\'' && i + 1 < total3) {
                char x1 = text[i + 1];
                if (x1 == 's' || x1 == 'm'
                        || (i + 2 < total3 && (x1 == 'r' || x1 == 'v') && text[i + 2] == 'e')) {
                    total--;
                }
            }
            text[total++] = x;
        }
        return new String(text, 0, total);
    }

    /** Hugging Face's decoder clean-up of tokenization spaces, applied (as HF does) to each token. */
    static String hfCleanup(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" do not", " don't")
                .replace(" 's", "'s").replace(" 've", "'ve").replace(" 're", "'re");
    }

    /** The special and user-defined tokens split from text before tokenizing. */
    SpecialTokens specialTokens() {
        return specials;
    }

    @Override
    public String piece(int id) {
        return vocab.piece(id);
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public int bosId() {
        return bosId;
    }

    @Override
    public int eosId() {
        return eosId;
    }
}

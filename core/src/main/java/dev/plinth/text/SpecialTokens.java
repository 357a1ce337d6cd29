package dev.plinth.text;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Splits text around special (control, unknown) and user-defined tokens before the model-specific
 * tokenizer sees it. Two matching rules exist because the two references differ:
 * <ul>
 * <li>{@link Matching#LLAMA_CPP}: llama.cpp's {@code tokenizer_st_partition}: tokens are tried one
 * after the other, longest text (in UTF-8 bytes) first, each splitting every remaining text
 * fragment at all its occurrences; lstrip/rstrip drop C-locale whitespace next to the token.
 * Control and unknown tokens are only recognised when {@code parseSpecial} is true; user-defined
 * tokens always are.</li>
 * <li>{@link Matching#LEFTMOST_LONGEST}: Hugging Face's added-token matching: scanning left to right,
 * the longest token starting at the leftmost possible position wins; lstrip/rstrip absorb Unicode
 * whitespace into the token.</li>
 * </ul>
 */
final class SpecialTokens {

    /** A token matched in raw text. {@code special} tokens are only matched with parseSpecial. */
    record Entry(int id, String text, boolean special, boolean lstrip, boolean rstrip) {
    }

    enum Matching { LLAMA_CPP, LEFTMOST_LONGEST }

    /** A piece of the split text: either plain text for the tokenizer or a token id. */
    sealed interface Fragment permits Text, Token {
    }

    record Text(String text) implements Fragment {
    }

    record Token(int id) implements Fragment {
    }

    static final SpecialTokens NONE = new SpecialTokens(List.of(), Matching.LLAMA_CPP);

    private final List<Entry> entries;
    private final Matching matching;
    /** Entries by their first char, longest first, for left-to-right scanning. */
    private final java.util.Map<Character, List<Entry>> byFirstChar = new java.util.HashMap<>();

    SpecialTokens(List<Entry> entries, Matching matching) {
        List<Entry> sorted = new ArrayList<>();
        for (Entry e : entries) {
            if (!e.text().isEmpty()) {
                sorted.add(e);
            }
        }
        sorted.sort(Comparator.comparingInt((Entry e) -> -e.text().getBytes(StandardCharsets.UTF_8).length)
                .thenComparingInt(Entry::id));
        this.entries = List.copyOf(sorted);
        this.matching = matching;
        for (Entry e : this.entries) {
            byFirstChar.computeIfAbsent(e.text().charAt(0), c -> new ArrayList<>()).add(e);
        }
    }

    List<Entry> entries() {
        return entries;
    }

    /**
     * llama.cpp's special-token cache for a GGUF vocabulary: every CONTROL, USER_DEFINED and
     * UNKNOWN token, with the per-model strip attributes llama.cpp sets by model name.
     */
    static SpecialTokens llamaCpp(Vocabulary vocab, String modelName) {
        String name = modelName == null ? "" : modelName.toLowerCase(Locale.ROOT);
        boolean phi3 = name.contains("phi-3") || name.contains("phi3");
        List<Entry> list = new ArrayList<>();
        for (int id = 0; id < vocab.size(); id++) {
            int type = vocab.type(id);
            if (type != Vocabulary.CONTROL && type != Vocabulary.USER_DEFINED && type != Vocabulary.UNKNOWN) {
                continue;
            }
            String text = vocab.piece(id);
            boolean rstrip = phi3 && !Set.of("<unk>", "<s>", "<|endoftext|>").contains(text);
            list.add(new Entry(id, text, type != Vocabulary.USER_DEFINED, false, rstrip));
        }
        return new SpecialTokens(list, Matching.LLAMA_CPP);
    }

    /** {@code text} split into plain-text and token fragments; empty text gives no fragment. */
    List<Fragment> split(String text, boolean parseSpecial) {
        if (text.isEmpty()) {
            return List.of();
        }
        return matching == Matching.LLAMA_CPP ? splitLlamaCpp(text, parseSpecial) : splitLeftmostLongest(text, parseSpecial);
    }

    private List<Fragment> splitLlamaCpp(String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        fragments.add(new Text(text));
        java.util.BitSet present = new java.util.BitSet(128);
        for (int i = 0; i < text.length(); i++) {
            present.set(text.charAt(i));
        }
        for (Entry e : entries) {
            if ((e.special() && !parseSpecial) || !present.get(e.text().charAt(0))) {
                continue;
            }
            List<Fragment> next = new ArrayList<>(fragments.size() + 2);
            for (Fragment f : fragments) {
                if (f instanceof Text(String raw) && raw.contains(e.text())) {
                    splitOne(raw, e, next);
                } else {
                    next.add(f);
                }
            }
            fragments = next;
        }
        return fragments;
    }

    private static void splitOne(String raw, Entry e, List<Fragment> out) {
        int from = 0;
        int end = raw.length();
        while (from < end) {
            int match = raw.indexOf(e.text(), from);
            if (match < 0) {
                out.add(new Text(raw.substring(from, end)));
                return;
            }
            int leftEnd = match;
            if (e.lstrip()) {
                while (leftEnd > from && isCSpace(raw.charAt(leftEnd - 1))) {
                    leftEnd--;
                }
            }
            if (leftEnd > from) {
                out.add(new Text(raw.substring(from, leftEnd)));
            }
            out.add(new Token(e.id()));
            from = match + e.text().length();
            if (e.rstrip()) {
                while (from < end && isCSpace(raw.charAt(from))) {
                    from++;
                }
            }
        }
    }

    /** C's isspace in the "C" locale, as llama.cpp uses for lstrip/rstrip. */
    private static boolean isCSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    private List<Fragment> splitLeftmostLongest(String text, boolean parseSpecial) {
        List<Fragment> out = new ArrayList<>();
        int plainStart = 0;
        int i = 0;
        while (i < text.length()) {
            Entry best = null;
            List<Entry> candidates = byFirstChar.getOrDefault(text.charAt(i), List.of());
            for (Entry e : candidates) { // longest first, so the first hit is the longest at i
                if ((!e.special() || parseSpecial) && text.startsWith(e.text(), i)) {
                    best = e;
                    break;
                }
            }
            if (best == null) {
                i++;
                continue;
            }
            int plainEnd = i;
            if (best.lstrip()) {
                while (plainEnd > plainStart && UnicodeClass.isWhiteSpace(text.codePointBefore(plainEnd))) {
                    plainEnd -= Character.charCount(text.codePointBefore(plainEnd));
                }
            }
            if (plainEnd > plainStart) {
                out.add(new Text(text.substring(plainStart, plainEnd)));
            }
            out.add(new Token(best.id()));
            i += best.text().length();
            if (best.rstrip()) {
                while (i < text.length() && UnicodeClass.isWhiteSpace(text.codePointAt(i))) {
                    i += Character.charCount(text.codePointAt(i));
                }
            }
            plainStart = i;
        }
        if (plainStart < text.length()) {
            out.add(new Text(text.substring(plainStart)));
        }
        return out;
    }
}

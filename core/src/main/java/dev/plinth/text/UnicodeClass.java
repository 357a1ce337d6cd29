package dev.plinth.text;

import java.text.Normalizer;

/** Unicode character classes as the tokenizer references define them (not always as Java does). */
final class UnicodeClass {
    private UnicodeClass() {
    }

    /** The Unicode White_Space property (Rust's char::is_whitespace, llama.cpp's is_whitespace). */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    /** General category C* except unassigned (llama.cpp's is_control). */
    static boolean isControlCategory(int cp) {
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.PRIVATE_USE
                || t == Character.SURROGATE;
    }

    /** General category C* including unassigned (Rust unicode_categories' is_other). */
    static boolean isOther(int cp) {
        return isControlCategory(cp) || Character.getType(cp) == Character.UNASSIGNED;
    }

    /** General category M* (llama.cpp's is_accent_mark). */
    static boolean isMark(int cp) {
        int t = Character.getType(cp);
        return t == Character.NON_SPACING_MARK || t == Character.ENCLOSING_MARK
                || t == Character.COMBINING_SPACING_MARK;
    }

    /** General category P*. */
    static boolean isPunctuation(int cp) {
        int t = Character.getType(cp);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION
                || t == Character.START_PUNCTUATION || t == Character.END_PUNCTUATION
                || t == Character.INITIAL_QUOTE_PUNCTUATION || t == Character.FINAL_QUOTE_PUNCTUATION
                || t == Character.OTHER_PUNCTUATION;
    }

    /** General category S*. */
    static boolean isSymbol(int cp) {
        int t = Character.getType(cp);
        return t == Character.MATH_SYMBOL || t == Character.CURRENCY_SYMBOL
                || t == Character.MODIFIER_SYMBOL || t == Character.OTHER_SYMBOL;
    }

    /**
     * The CJK ideograph blocks BERT pads with spaces. The 0x2B920 lower bound (not 0x2B820) is
     * Hugging Face's, copied by llama.cpp.
     */
    static boolean isChineseChar(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    /** First code point of the canonical decomposition: llama.cpp's one-to-one "NFD". */
    static int nfdFirst(int cp) {
        if (cp < 0xC0) {
            return cp;
        }
        String s = Character.toString(cp);
        String d = Normalizer.normalize(s, Normalizer.Form.NFD);
        return d.codePointAt(0);
    }
}

package dev.plinth.text;

/**
 * Unicode classification as llama.cpp's tokenizer sees it: one general-category group per code
 * point (letter, number, punctuation, symbol, mark, separator, control; unassigned = none) plus
 * the White_Space property. Built once from the JDK's Unicode tables into a byte per code point.
 */
final class CodepointFlags {
    static final int LETTER = 1;
    static final int NUMBER = 2;
    static final int PUNCTUATION = 4;
    static final int SYMBOL = 8;
    static final int MARK = 16;
    static final int SEPARATOR = 32;
    static final int CONTROL = 64;
    static final int WHITESPACE = 128;

    private static final byte[] FLAGS = build();

    private CodepointFlags() {
    }

    static int of(int cp) {
        return cp >= 0 && cp < FLAGS.length ? FLAGS[cp] & 0xff : 0;
    }

    static boolean isLetter(int cp) {
        return (of(cp) & LETTER) != 0;
    }

    static boolean isNumber(int cp) {
        return (of(cp) & NUMBER) != 0;
    }

    static boolean isWhitespace(int cp) {
        return (of(cp) & WHITESPACE) != 0;
    }

    /** The Unicode White_Space property (the set llama.cpp uses). */
    static boolean whiteSpaceProperty(int cp) {
        return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f
                || cp == 0x205f || cp == 0x3000;
    }

    private static byte[] build() {
        byte[] flags = new byte[Character.MAX_CODE_POINT + 1];
        for (int cp = 0; cp < flags.length; cp++) {
            int f = switch (Character.getType(cp)) {
                case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                     Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
                case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
                case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                     Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                     Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> PUNCTUATION;
                case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL,
                     Character.OTHER_SYMBOL -> SYMBOL;
                case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> MARK;
                case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> SEPARATOR;
                case Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE, Character.SURROGATE -> CONTROL;
                default -> 0;
            };
            if (whiteSpaceProperty(cp)) {
                f |= WHITESPACE;
            }
            flags[cp] = (byte) f;
        }
        return flags;
    }
}

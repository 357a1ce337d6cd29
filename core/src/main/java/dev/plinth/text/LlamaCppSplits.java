package dev.plinth.text;

import java.util.List;

/**
 * Pre-tokenizer splits exactly as llama.cpp performs them: its hand-written GPT-2 and Llama-3
 * matchers, and its general path, which runs a regex over a "collapsed" copy of the text where
 * every non-ASCII code point is replaced by one stand-in per Unicode category (so that
 * {@code \p{L}} etc. work with a byte-oriented regex engine). Unmatched gaps are kept as pieces.
 */
final class LlamaCppSplits {
    static final String GPT2_REGEX =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    static final String LLAMA3_REGEX =
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String LLAMA3_REGEX_CI =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    // Stand-ins for non-ASCII code points in the collapsed text (private-use characters).
    private static final char OTHER = '\uE0D0';
    private static final char NUMBER = '\uE0D1';
    private static final char LETTER = '\uE0D2';
    private static final char PUNCT = '\uE0D3';
    private static final char MARK = '\uE0D4';
    private static final char SYMBOL = '\uE0D5';

    private LlamaCppSplits() {
    }

    /** The split step llama.cpp uses for {@code regex}: a hand-written matcher where it has one. */
    static PreSplit of(String regex) {
        if (regex.equals(GPT2_REGEX)) {
            return new Gpt2(false);
        }
        if (regex.equals(LLAMA3_REGEX) || regex.equals(LLAMA3_REGEX_CI)) {
            return new Llama3();
        }
        return Regex.of(regex);
    }

    /** Code points of {@code s}. */
    static int[] codePoints(String s) {
        int n = s.length();
        int[] cp = new int[n];
        int count = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                cp[count++] = Character.toCodePoint(c, s.charAt(++i));
            } else {
                cp[count++] = c;
            }
        }
        return count == n ? cp : java.util.Arrays.copyOf(cp, count);
    }

    /** Cuts {@code s} at code point boundaries {@code ends} (exclusive ends, ascending). */
    static void emit(String s, int[] cps, int from, int to, List<String> out, int[] charPos) {
        if (to > from) {
            out.add(s.substring(charPos == null ? from : charPos[from], charPos == null ? to : charPos[to]));
        }
    }

    /** Char offset of every code point index (length n+1), or null when they coincide. */
    static int[] charPositions(String s, int n) {
        if (n == s.length()) {
            return null;
        }
        int[] pos = new int[n + 1];
        int c = 0;
        for (int i = 0; i < n; i++) {
            pos[i] = c;
            c += Character.charCount(s.codePointAt(c));
        }
        pos[n] = c;
        return pos;
    }

    /**
     * {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}, written
     * out by hand. With {@code unassignedIsOther} false (llama.cpp) an unassigned code point ends a
     * run of "other" characters and stands alone; true gives the regex semantics of HF tokenizers.
     */
    record Gpt2(boolean unassignedIsOther) implements PreSplit {
        @Override
        public void split(String s, List<String> out) {
            int[] cp = codePoints(s);
            int n = cp.length;
            int[] charPos = charPositions(s, n);
            int pos = 0;
            while (pos < n) {
                int start = pos;
                int c = cp[pos];
                if (c == '\'' && pos + 1 < n) {
                    int c1 = cp[pos + 1];
                    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
                        pos += 2;
                        emit(s, cp, start, pos, out, charPos);
                        continue;
                    }
                    if (pos + 2 < n) {
                        int c2 = cp[pos + 2];
                        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
                            pos += 3;
                            emit(s, cp, start, pos, out, charPos);
                            continue;
                        }
                    }
                }
                int p = c == ' ' ? pos + 1 : pos;
                int f2 = p < n ? CodepointFlags.of(cp[p]) : 0;
                if ((f2 & CodepointFlags.LETTER) != 0) {
                    pos = p;
                    while (pos < n && CodepointFlags.isLetter(cp[pos])) {
                        pos++;
                    }
                } else if ((f2 & CodepointFlags.NUMBER) != 0) {
                    pos = p;
                    while (pos < n && CodepointFlags.isNumber(cp[pos])) {
                        pos++;
                    }
                } else if (p < n && isOther(f2)) {
                    pos = p;
                    while (pos < n && isOther(CodepointFlags.of(cp[pos]))) {
                        pos++;
                    }
                } else {
                    int ws = 0;
                    while (pos + ws < n && CodepointFlags.isWhitespace(cp[pos + ws])) {
                        ws++;
                    }
                    if (ws > 1 && pos + ws < n) {
                        pos += ws - 1;
                    } else if (ws > 0) {
                        pos += ws;
                    } else {
                        pos++;
                    }
                }
                emit(s, cp, start, pos, out, charPos);
            }
        }

        private boolean isOther(int f) {
            int wln = CodepointFlags.WHITESPACE | CodepointFlags.LETTER | CodepointFlags.NUMBER;
            return (f & wln) == 0 && (f != 0 || unassignedIsOther);
        }
    }

    /** llama.cpp's hand-written Llama-3 matcher (see {@link #LLAMA3_REGEX}). */
    record Llama3() implements PreSplit {
        @Override
        public void split(String s, List<String> out) {
            int[] cp = codePoints(s);
            int n = cp.length;
            int[] charPos = charPositions(s, n);
            int pos = 0;
            while (pos < n) {
                int start = pos;
                int c = cp[pos];
                int f = CodepointFlags.of(c);
                if (c == '\'' && pos + 1 < n) {
                    int c1 = Character.toLowerCase(cp[pos + 1]);
                    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
                        pos += 2;
                        emit(s, cp, start, pos, out, charPos);
                        continue;
                    }
                    if (pos + 2 < n) {
                        int c2 = Character.toLowerCase(cp[pos + 2]);
                        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
                            pos += 3;
                            emit(s, cp, start, pos, out, charPos);
                            continue;
                        }
                    }
                }
                boolean number = (f & CodepointFlags.NUMBER) != 0;
                if (!(c == '\r' || c == '\n' || number)
                        && ((f & CodepointFlags.LETTER) != 0 || (pos + 1 < n && CodepointFlags.isLetter(cp[pos + 1])))) {
                    pos++;
                    while (pos < n && CodepointFlags.isLetter(cp[pos])) {
                        pos++;
                    }
                    emit(s, cp, start, pos, out, charPos);
                    continue;
                }
                if (number) {
                    int ini = pos;
                    while (pos < n && CodepointFlags.isNumber(cp[pos])) {
                        pos++;
                        if (pos - ini >= 3) {
                            emit(s, cp, ini, pos, out, charPos);
                            ini = pos;
                        }
                    }
                    emit(s, cp, ini, pos, out, charPos);
                    continue;
                }
                int wln = CodepointFlags.WHITESPACE | CodepointFlags.LETTER | CodepointFlags.NUMBER;
                int f2 = c == ' ' ? (pos + 1 < n ? CodepointFlags.of(cp[pos + 1]) : 0) : f;
                if ((f2 & wln) == 0 && f != 0) {
                    if (c == ' ') {
                        pos++;
                    }
                    while (pos < n && (CodepointFlags.of(cp[pos]) & wln) == 0 && CodepointFlags.of(cp[pos]) != 0) {
                        pos++;
                    }
                    while (pos < n && (cp[pos] == '\r' || cp[pos] == '\n')) {
                        pos++;
                    }
                    emit(s, cp, start, pos, out, charPos);
                    continue;
                }
                int ws = 0;
                int lastNewline = -1;
                while (pos + ws < n && CodepointFlags.isWhitespace(cp[pos + ws])) {
                    int c2 = cp[pos + ws];
                    if (c2 == '\r' || c2 == '\n') {
                        lastNewline = pos + ws + 1;
                    }
                    ws++;
                }
                if (lastNewline > 0) {
                    pos = lastNewline;
                } else if (ws > 1 && pos + ws < n) {
                    pos += ws - 1;
                } else if (ws > 0) {
                    pos += ws;
                } else {
                    pos++;
                }
                emit(s, cp, start, pos, out, charPos);
            }
        }
    }

    /**
     * llama.cpp's general path: a regex with Unicode categories runs over the collapsed text; one
     * without runs over the text itself, non-ASCII whitespace replaced by U+000B (as llama.cpp does
     * for {@code std::wregex}). Matches and the gaps between them both become pieces.
     */
    record Regex(java.util.regex.Pattern pattern, boolean collapsed) implements PreSplit {

        static Regex of(String llamaRegex) {
            boolean collapsed = usesCategories(llamaRegex);
            String javaRegex = collapsed ? collapse(llamaRegex) : llamaRegex;
            javaRegex = endAnchors(javaRegex);
            return new Regex(java.util.regex.Pattern.compile(javaRegex), collapsed);
        }

        @Override
        public void split(String s, List<String> out) {
            int[] cp = codePoints(s);
            int n = cp.length;
            int[] charPos;
            String subject;
            if (collapsed) {
                char[] t = new char[n];
                for (int i = 0; i < n; i++) {
                    t[i] = collapsedChar(cp[i]);
                }
                subject = new String(t);
                charPos = charPositions(s, n);
            } else {
                StringBuilder sb = new StringBuilder(s.length());
                for (int c : cp) {
                    sb.appendCodePoint(c > 0x7f && CodepointFlags.isWhitespace(c) ? 0x0b : c);
                }
                subject = sb.toString();
                charPos = null;
            }
            java.util.regex.Matcher m = pattern.matcher(subject);
            int last = 0;
            int end = collapsed ? n : s.length();
            while (m.find()) {
                if (m.start() > last) {
                    cut(s, last, m.start(), charPos, out);
                }
                cut(s, m.start(), m.end(), charPos, out);
                last = m.end();
            }
            if (last < end) {
                cut(s, last, end, charPos, out);
            }
        }

        private static void cut(String s, int from, int to, int[] charPos, List<String> out) {
            if (to > from) {
                out.add(charPos == null ? s.substring(from, to) : s.substring(charPos[from], charPos[to]));
            }
        }

        private static char collapsedChar(int c) {
            if (c < 128) {
                return (char) c;
            }
            int f = CodepointFlags.of(c);
            if ((f & CodepointFlags.WHITESPACE) != 0) {
                return '\u000b';
            }
            if ((f & CodepointFlags.NUMBER) != 0) {
                return NUMBER;
            }
            if ((f & CodepointFlags.LETTER) != 0) {
                return LETTER;
            }
            if ((f & CodepointFlags.PUNCTUATION) != 0) {
                return PUNCT;
            }
            if ((f & CodepointFlags.MARK) != 0) {
                return MARK;
            }
            if ((f & CodepointFlags.SYMBOL) != 0) {
                return SYMBOL;
            }
            return OTHER;
        }

        private static final String[][] CATEGORIES = {
            {"\\p{N}", NUMBER + "0-9"},
            {"\\p{L}", LETTER + "A-Za-z"},
            {"\\p{P}", PUNCT + "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}"},
            {"\\p{M}", String.valueOf(MARK)},
            {"\\p{S}", SYMBOL + "\\$\\+<->\\^`\\|"},
            {"\\p{Lu}", LETTER + "A-Za-z"}, {"\\p{Ll}", LETTER + "A-Za-z"}, {"\\p{Lt}", LETTER + "A-Za-z"},
            {"\\p{Lm}", LETTER + "A-Za-z"}, {"\\p{Lo}", LETTER + "A-Za-z"},
        };

        static boolean usesCategories(String regex) {
            for (String[] c : CATEGORIES) {
                if (regex.contains(c[0])) {
                    return true;
                }
            }
            return false;
        }

        /** Replaces each {@code \p{X}} with a class of its stand-in plus its ASCII members. */
        static String collapse(String regex) {
            StringBuilder sb = new StringBuilder();
            boolean inside = false;
            for (int i = 0; i < regex.length(); i++) {
                char c = regex.charAt(i);
                if (c == '[' && (i == 0 || regex.charAt(i - 1) != '\\')) {
                    sb.append(c);
                    inside = true;
                    continue;
                }
                if (inside && c == ']' && regex.charAt(i - 1) != '\\') {
                    sb.append(c);
                    inside = false;
                    continue;
                }
                if (c == '\\' && regex.startsWith("\\p{", i)) {
                    int close = regex.indexOf('}', i + 3);
                    String cat = close < 0 ? null : regex.substring(i, close + 1);
                    String members = null;
                    for (String[] e : CATEGORIES) {
                        if (e[0].equals(cat)) {
                            members = e[1];
                        }
                    }
                    if (members != null) {
                        sb.append(inside ? members : "[" + members + "]");
                        i = close;
                        continue;
                    }
                }
                sb.append(c);
            }
            return sb.toString();
        }

        /** ECMAScript's {@code $} (no multiline) is the end of input: Java's {@code \z}. */
        private static String endAnchors(String regex) {
            StringBuilder sb = new StringBuilder();
            boolean inside = false;
            for (int i = 0; i < regex.length(); i++) {
                char c = regex.charAt(i);
                if (c == '\\' && i + 1 < regex.length()) {
                    sb.append(c).append(regex.charAt(++i));
                    continue;
                }
                if (c == '[') {
                    inside = true;
                } else if (c == ']') {
                    inside = false;
                } else if (c == '$' && !inside) {
                    sb.append("\\z");
                    continue;
                }
                sb.append(c);
            }
            return sb.toString();
        }
    }
}

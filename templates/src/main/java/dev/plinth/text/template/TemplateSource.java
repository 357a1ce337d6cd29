package dev.plinth.text.template;

import com.hubspot.jinjava.interpret.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A pass over the template text before Jinjava sees it, for two differences Jinjava would
 * otherwise turn into silently wrong output:
 * <ul>
 * <li>an unknown filter renders as nothing in Jinjava; here applying it raises an
 *     {@link ChatTemplateException} naming it (unknown tests and filter blocks are refused up front);</li>
 * <li>Jinjava binds {@code not} tighter than comparisons and tests, so {@code not x is defined}
 *     means {@code (not x) is defined}; Jinja2 (like Python) means {@code not (x is defined)}.
 *     The operand of every unary {@code not} is put in parentheses, up to the next
 *     {@code and}, {@code or}, {@code if}, {@code else}, comma or closing bracket.</li>
 * <li>Jinjava reads {@code f(a=x|length - 1)} as {@code (a=x|length) - 1} and parses only
 *     simple slice bounds; named-argument values and slice bounds get parentheses too.</li>
 * <li>Jinjava concatenates {@code "null"} for an undefined operand of {@code +}; plain name
 *     chains around a binary {@code +} are wrapped in {@code py_operand(...)}, which raises on
 *     none as Jinja2 does.</li>
 * </ul>
 * Only parentheses, spaces and those helper names are inserted, so line numbers stay those of the original text. One
 * trailing newline is dropped, as Jinja2 does by default.
 */
final class TemplateSource {
    private static final Set<String> KEYWORDS = Set.of(
            "and", "or", "not", "if", "elif", "else", "in", "is", "set", "for", "print", "do", "return");
    private static final Set<String> OPERAND_ENDS = Set.of("and", "or", "if", "else", ",", ")", "]", "}", ":");

    private TemplateSource() {
    }

    /** A lexical token of an expression region; {@code start} is its offset in the whole template. */
    private record Token(String text, Kind kind, int start) {
    }

    private enum Kind { NAME, STRING, NUMBER, PUNCT }

    static String prepare(String template, Context context) {
        // Jinja2 drops one trailing newline of the template (keep_trailing_newline=False); Jinjava keeps it.
        String source = template.endsWith("\r\n") ? template.substring(0, template.length() - 2)
                : template.endsWith("\n") || template.endsWith("\r") ? template.substring(0, template.length() - 1)
                : template;
        StringBuilder out = new StringBuilder(source.length() + 64);
        int i = 0;
        while (i < source.length()) {
            int open = nextOpen(source, i);
            if (open < 0) {
                out.append(source, i, source.length());
                break;
            }
            out.append(source, i, open);
            char kind = source.charAt(open + 1);
            if (kind == '#') {
                int close = source.indexOf("#}", open + 2);
                int end = close < 0 ? source.length() : close + 2;
                out.append(source, open, end);
                i = end;
                continue;
            }
            String closer = kind == '{' ? "}}" : "%}";
            int close = regionEnd(source, open + 2, closer);
            if (close < 0) {
                out.append(source, open, source.length());
                break;
            }
            int from = open + 2;
            int to = close;
            if (from < to && (source.charAt(from) == '-' || source.charAt(from) == '+')) {
                from++;
            }
            if (to > from && (source.charAt(to - 1) == '-' || source.charAt(to - 1) == '+')) {
                to--;
            }
            out.append(source, open, from);
            String region = rewrite(source, from, to, kind == '%', context);
            out.append(kind == '%' ? filteredLoop(region) : region);
            out.append(source, to, close + 2);
            i = close + 2;
        }
        return out.toString();
    }

    private static int nextOpen(String s, int from) {
        for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
            char c = s.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
        }
        return -1;
    }

    /** Where {@code closer} ends the region, skipping string literals and balanced braces. */
    private static int regionEnd(String s, int from, String closer) {
        int braces = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i) - 1;
            } else if (braces == 0 && s.startsWith(closer, i)) {
                return i;
            } else if (c == '{') {
                braces++;
            } else if (c == '}' && braces > 0) {
                braces--;
            }
        }
        return -1;
    }

    private static int stringEnd(String s, int open) {
        char quote = s.charAt(open);
        for (int i = open + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == quote) {
                return i + 1;
            }
        }
        return s.length();
    }

    private static String rewrite(String source, int from, int to, boolean statement, Context context) {
        List<Token> tokens = tokenize(source, from, to);
        check(source, tokens, statement, context);
        int n = tokens.size();
        int[] opens = new int[n + 1];
        int[] closes = new int[n + 1];
        String[] replacements = new String[n + 1];
        int[] checks = new int[n + 1];
        boolean macroSignature = statement && n > 0 && tokens.get(0).text().equals("macro");
        replaceUnknownFilters(tokens, replacements, context);
        for (int t = 0; t < n; t++) {
            if (isUnaryNot(tokens, t)) {
                wrap(opens, closes, t + 1, operandEnd(tokens, t + 1));
            } else if (!macroSignature && isNamedArgument(tokens, t)) {
                // Jinjava reads f(a=x|length - 1) as (a=x|length) - 1
                wrap(opens, closes, t + 2, argumentEnd(tokens, t + 2));
            } else if (isReversal(tokens, t)) {
                // Jinjava has no slice steps: x[::-1] becomes (x|py_reversed)
                opens[primaryStart(tokens, t)]++;
                replacements[t] = "|" + TemplateExtensions.REVERSED + ")";
                for (int k = 1; k <= 5; k++) {
                    replacements[t + k] = "";
                }
                t += 5;
            } else if (isSubscript(tokens, t)) {
                // Jinjava parses only simple slice bounds: x[:n+1] needs x[:(n+1)]
                wrapSliceBounds(tokens, t, opens, closes);
            } else if (isGluedPlus(tokens, t)) {
                // Jinjava lexes "+1" as a signed literal, so "n +1" is a syntax error
                replacements[t] = "+ ";
            }
            if (isBinaryPlus(tokens, t)) {
                // Jinjava concatenates "null" where Jinja2 raises: check plain operands of '+'
                checkOperand(tokens, leftChainStart(tokens, t), t, checks, closes);
                checkOperand(tokens, t + 1, rightChainEnd(tokens, t + 1), checks, closes);
            }
        }
        StringBuilder out = new StringBuilder(to - from + 8);
        int at = from;
        for (int t = 0; t <= n; t++) {
            int pos = t < n ? tokens.get(t).start() : to;
            out.append(source, at, pos);
            out.repeat(")", closes[t]);
            // a space keeps "not(" from reading as a call of a function named not
            out.repeat(" (", opens[t]);
            out.repeat(TemplateExtensions.OPERAND_CHECK + "(", checks[t]);
            if (t < n && replacements[t] != null) {
                out.append(replacements[t]);
                at = pos + tokens.get(t).text().length();
            } else {
                at = pos;
            }
        }
        out.append(source, at, to);
        return out.toString();
    }

    /**
     * Jinjava ignores the filter of {@code for x in items if cond} and loops over everything;
     * it becomes {@code for x in (items)|py_loop_filter("x", "cond")}, which keeps the items for
     * which cond holds, so that {@code loop.index} and {@code loop.last} count only those, as in Jinja2.
     */
    static String filteredLoop(String region) {
        List<Token> tokens = tokenize(region, 0, region.length());
        if (tokens.isEmpty() || !tokens.get(0).text().equals("for")) {
            return region;
        }
        int in = -1;
        int depth = 0;
        for (int t = 1; t < tokens.size(); t++) {
            Token token = tokens.get(t);
            String text = token.text();
            if (token.kind() == Kind.PUNCT && (text.equals("(") || text.equals("[") || text.equals("{"))) {
                depth++;
            } else if (token.kind() == Kind.PUNCT && (text.equals(")") || text.equals("]") || text.equals("}"))) {
                depth--;
            } else if (depth == 0 && token.kind() == Kind.NAME && in < 0 && text.equals("in")) {
                in = t;
            } else if (depth == 0 && token.kind() == Kind.NAME && in > 0 && text.equals("if")) {
                String target = region.substring(tokens.get(1).start(), tokens.get(in).start()).strip();
                String items = region.substring(tokens.get(in).start() + 2, token.start()).strip();
                String condition = region.substring(token.start() + 2).strip();
                return region.substring(0, tokens.get(0).start()) + "for " + target + " in (" + items + ")|"
                        + TemplateExtensions.LOOP_FILTER + "(" + literal(target) + ", " + literal(condition) + ") ";
            }
        }
        return region;
    }

    private static String literal(String text) {
        return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private static boolean isReversal(List<Token> tokens, int t) {
        if (!isSubscript(tokens, t) || t + 5 >= tokens.size()) {
            return false;
        }
        String[] pattern = {":", ":", "-", "1", "]"};
        for (int k = 0; k < pattern.length; k++) {
            if (!tokens.get(t + 1 + k).text().equals(pattern[k])) {
                return false;
            }
        }
        return true;
    }

    /** The first token of the postfix chain ({@code a.b[0].c}) that ends just before {@code t}. */
    private static int primaryStart(List<Token> tokens, int t) {
        int p = t - 1;
        while (p >= 0) {
            String text = tokens.get(p).text();
            if (tokens.get(p).kind() == Kind.PUNCT && (text.equals("]") || text.equals(")"))) {
                p = matchingOpen(tokens, p);
                if (p > 0 && tokens.get(p).text().equals("(") && tokens.get(p - 1).kind() == Kind.NAME) {
                    p--;
                }
            }
            if (p > 0 && tokens.get(p - 1).text().equals(".")
                    || p > 0 && tokens.get(p).text().equals("[") && isSubscript(tokens, p)) {
                p = tokens.get(p).text().equals("[") ? p - 1 : p - 2;
                continue;
            }
            return Math.max(p, 0);
        }
        return 0;
    }

    private static int matchingOpen(List<Token> tokens, int close) {
        int depth = 0;
        for (int p = close; p >= 0; p--) {
            String text = tokens.get(p).text();
            if (tokens.get(p).kind() != Kind.PUNCT) {
                continue;
            }
            if (text.equals("]") || text.equals(")") || text.equals("}")) {
                depth++;
            } else if (text.equals("[") || text.equals("(") || text.equals("{")) {
                if (--depth == 0) {
                    return p;
                }
            }
        }
        return 0;
    }

    private static boolean isBinaryPlus(List<Token> tokens, int t) {
        if (t == 0 || t + 1 >= tokens.size() || tokens.get(t).kind() != Kind.PUNCT || !tokens.get(t).text().equals("+")) {
            return false;
        }
        Token previous = tokens.get(t - 1);
        return previous.kind() == Kind.STRING || previous.kind() == Kind.NUMBER
                || (previous.kind() == Kind.NAME && !KEYWORDS.contains(previous.text()))
                || previous.text().equals(")") || previous.text().equals("]");
    }

    /** Start of the name chain ({@code a.b[0]}) ending just before {@code plus}, or -1. */
    private static int leftChainStart(List<Token> tokens, int plus) {
        Token last = tokens.get(plus - 1);
        if (last.kind() == Kind.STRING || last.kind() == Kind.NUMBER) {
            return -1;
        }
        int start = primaryStart(tokens, plus);
        boolean plainName = tokens.get(start).kind() == Kind.NAME && !KEYWORDS.contains(tokens.get(start).text());
        boolean filtered = start > 0 && (tokens.get(start - 1).text().equals("|") || tokens.get(start - 1).text().equals("."));
        return plainName && !filtered ? start : -1;
    }

    /** End (exclusive) of the name chain starting at {@code first}, or -1 when it is not a plain chain. */
    private static int rightChainEnd(List<Token> tokens, int first) {
        Token head = tokens.get(first);
        if (head.kind() != Kind.NAME || KEYWORDS.contains(head.text())) {
            return -1;
        }
        int t = first + 1;
        while (t < tokens.size()) {
            String text = tokens.get(t).text();
            if (text.equals(".") && t + 1 < tokens.size() && tokens.get(t + 1).kind() == Kind.NAME) {
                t += 2;
            } else if (text.equals("[") || text.equals("(")) {
                int close = argumentEnd(tokens, t + 1);
                if (close >= tokens.size()) {
                    return -1;
                }
                t = close + 1;
            } else {
                break;
            }
        }
        boolean filtered = t < tokens.size() && (tokens.get(t).text().equals("|") || tokens.get(t).text().equals("is"));
        return filtered ? -1 : t;
    }

    private static void checkOperand(List<Token> tokens, int start, int end, int[] checks, int[] closes) {
        if (start >= 0 && end > start) {
            checks[start]++;
            closes[end]++;
        }
    }

    private static boolean isGluedPlus(List<Token> tokens, int t) {
        if (t == 0 || t + 1 >= tokens.size() || !tokens.get(t).text().equals("+")) {
            return false;
        }
        Token next = tokens.get(t + 1);
        return next.kind() == Kind.NUMBER && next.start() == tokens.get(t).start() + 1;
    }

    private static void wrap(int[] opens, int[] closes, int first, int end) {
        if (end > first + 1) {
            opens[first]++;
            closes[end]++;
        }
    }

    private static boolean isNamedArgument(List<Token> tokens, int t) {
        return t > 0 && t + 2 < tokens.size() && tokens.get(t).kind() == Kind.NAME
                && (tokens.get(t - 1).text().equals("(") || tokens.get(t - 1).text().equals(","))
                && tokens.get(t + 1).text().equals("=") && !tokens.get(t + 2).text().equals("=");
    }

    private static int argumentEnd(List<Token> tokens, int first) {
        int depth = 0;
        for (int t = first; t < tokens.size(); t++) {
            String text = tokens.get(t).text();
            if (tokens.get(t).kind() != Kind.PUNCT) {
                continue;
            }
            if (text.equals("(") || text.equals("[") || text.equals("{")) {
                depth++;
            } else if (text.equals(")") || text.equals("]") || text.equals("}")) {
                if (depth == 0) {
                    return t;
                }
                depth--;
            } else if (depth == 0 && text.equals(",")) {
                return t;
            }
        }
        return tokens.size();
    }

    private static boolean isSubscript(List<Token> tokens, int t) {
        if (t == 0 || !tokens.get(t).text().equals("[") || tokens.get(t).kind() != Kind.PUNCT) {
            return false;
        }
        Token previous = tokens.get(t - 1);
        return previous.kind() == Kind.STRING
                || (previous.kind() == Kind.NAME && !KEYWORDS.contains(previous.text()))
                || previous.text().equals(")") || previous.text().equals("]");
    }

    private static void wrapSliceBounds(List<Token> tokens, int open, int[] opens, int[] closes) {
        int close = argumentEnd(tokens, open + 1);
        if (close >= tokens.size()) {
            return;
        }
        int depth = 0;
        int boundStart = open + 1;
        boolean slice = false;
        for (int t = open + 1; t < close; t++) {
            String text = tokens.get(t).text();
            if (tokens.get(t).kind() != Kind.PUNCT) {
                continue;
            }
            if (text.equals("(") || text.equals("[") || text.equals("{")) {
                depth++;
            } else if (text.equals(")") || text.equals("]") || text.equals("}")) {
                depth--;
            } else if (depth == 0 && text.equals(":")) {
                wrap(opens, closes, boundStart, t);
                boundStart = t + 1;
                slice = true;
            }
        }
        if (slice) {
            wrap(opens, closes, boundStart, close);
        }
    }

    private static boolean isUnaryNot(List<Token> tokens, int t) {
        Token token = tokens.get(t);
        if (token.kind() != Kind.NAME || !token.text().equals("not")) {
            return false;
        }
        if (t == 0) {
            return true;
        }
        Token previous = tokens.get(t - 1);
        return switch (previous.kind()) {
            case STRING, NUMBER -> false;
            case NAME -> KEYWORDS.contains(previous.text()) && !previous.text().equals("is");
            case PUNCT -> !(previous.text().equals(")") || previous.text().equals("]") || previous.text().equals("}"));
        };
    }

    /** The token index just past the operand of a unary not starting at {@code first}. */
    private static int operandEnd(List<Token> tokens, int first) {
        int depth = 0;
        for (int t = first; t < tokens.size(); t++) {
            String text = tokens.get(t).text();
            boolean name = tokens.get(t).kind() == Kind.NAME;
            if (text.equals("(") || text.equals("[") || text.equals("{")) {
                depth++;
            } else if (depth > 0 && (text.equals(")") || text.equals("]") || text.equals("}"))) {
                depth--;
            } else if (depth == 0 && OPERAND_ENDS.contains(text) && (name || tokens.get(t).kind() == Kind.PUNCT)) {
                return t;
            }
        }
        return tokens.size();
    }

    private static void check(String source, List<Token> tokens, boolean statement, Context context) {
        for (int t = 0; t + 1 < tokens.size(); t++) {
            Token token = tokens.get(t);
            Token next = tokens.get(t + 1);
            if (statement && t == 0 && token.text().equals("filter") && next.kind() == Kind.NAME
                    && context.getFilter(next.text()) == null) {
                throw unsupported(source, "filter '" + next.text() + "'", next.start());
            }
            if (token.text().equals("is") && token.kind() == Kind.NAME) {
                Token test = next.text().equals("not") && t + 2 < tokens.size() ? tokens.get(t + 2) : next;
                if (test.kind() == Kind.NAME && context.getExpTest(test.text()) == null) {
                    throw unsupported(source, "test '" + test.text() + "'", test.start());
                }
            }
        }
    }

    /**
     * Like Jinja2, an unknown filter fails only when it is applied (a template may use one in a
     * branch it never takes); Jinjava would print nothing, so {@code x|name(args)} becomes
     * {@code x|py_unknown_filter("name", args)}, which raises.
     */
    private static void replaceUnknownFilters(List<Token> tokens, String[] replacements, Context context) {
        for (int t = 0; t + 1 < tokens.size(); t++) {
            Token name = tokens.get(t + 1);
            if (!tokens.get(t).text().equals("|") || name.kind() != Kind.NAME || context.getFilter(name.text()) != null) {
                continue;
            }
            String call = TemplateExtensions.UNKNOWN_FILTER + "(" + literal(name.text());
            boolean hasParens = t + 2 < tokens.size() && tokens.get(t + 2).text().equals("(");
            if (!hasParens) {
                replacements[t + 1] = call + ")";
            } else {
                boolean noArguments = t + 3 < tokens.size() && tokens.get(t + 3).text().equals(")");
                replacements[t + 1] = noArguments ? call : call + ",";
                replacements[t + 2] = "";
            }
        }
    }

    private static ChatTemplateException unsupported(String source, String what, int offset) {
        return new ChatTemplateException(ChatTemplateException.Kind.UNSUPPORTED, what, lineOf(source, offset));
    }

    static int lineOf(String source, int offset) {
        int line = 1;
        for (int i = 0; i < offset && i < source.length(); i++) {
            if (source.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    private static List<Token> tokenize(String s, int from, int to) {
        List<Token> tokens = new ArrayList<>();
        int i = from;
        while (i < to) {
            char c = s.charAt(i);
            int start = i;
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            Kind kind;
            if (c == '\'' || c == '"') {
                i = Math.min(stringEnd(s, i), to);
                kind = Kind.STRING;
            } else if (Character.isLetter(c) || c == '_') {
                while (i < to && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                    i++;
                }
                kind = Kind.NAME;
            } else if (Character.isDigit(c)) {
                while (i < to && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                    i++;
                }
                kind = Kind.NUMBER;
            } else {
                i++;
                kind = Kind.PUNCT;
            }
            tokens.add(new Token(s.substring(start, i), kind, start));
        }
        return tokens;
    }
}

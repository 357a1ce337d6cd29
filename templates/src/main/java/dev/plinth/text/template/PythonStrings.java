package dev.plinth.text.template;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The Python {@code str} methods chat templates call ({@code content.strip()},
 * {@code name.split('.')}, ...), with Python's semantics rather than Java's: {@code split} is
 * literal (not a regex), {@code strip} without arguments removes Python whitespace. Any other
 * method name on a string is reported as unsupported instead of falling through to a Java
 * method of the same name.
 */
final class PythonStrings {
    private PythonStrings() {
    }

    static Object invoke(String s, String method, Object[] args) {
        return switch (method) {
            case "strip" -> strip(s, charsArg(method, args), true, true);
            case "lstrip" -> strip(s, charsArg(method, args), true, false);
            case "rstrip" -> strip(s, charsArg(method, args), false, true);
            case "startswith" -> anyAffix(s, arg(method, args, 0, 1), true);
            case "endswith" -> anyAffix(s, arg(method, args, 0, 1), false);
            case "split" -> split(s, optionalString(method, args, 0), maxSplit(method, args));
            case "rsplit" -> rsplit(s, optionalString(method, args, 0), maxSplit(method, args));
            case "splitlines" -> List.copyOf(noArgs(s, method, args).lines().toList());
            case "upper" -> noArgs(s, method, args).toUpperCase(java.util.Locale.ROOT);
            case "lower" -> noArgs(s, method, args).toLowerCase(java.util.Locale.ROOT);
            case "title" -> title(noArgs(s, method, args));
            case "capitalize" -> capitalize(noArgs(s, method, args));
            case "replace" -> replace(s, method, args);
            case "find" -> (long) s.indexOf(requireString(method, arg(method, args, 0, 1)));
            case "rfind" -> (long) s.lastIndexOf(requireString(method, arg(method, args, 0, 1)));
            case "count" -> count(s, requireString(method, arg(method, args, 0, 1)));
            case "join" -> join(s, arg(method, args, 0, 1));
            case "format" -> format(s, args == null ? new Object[0] : args);
            case "isspace" -> !noArgs(s, method, args).isEmpty() && s.chars().allMatch(PythonStrings::isSpace);
            case "isdigit" -> !noArgs(s, method, args).isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> !noArgs(s, method, args).isEmpty() && s.chars().allMatch(Character::isLetter);
            default -> throw new UnsupportedConstruct("string method '" + method + "'");
        };
    }

    /** Python's {@code str.isspace} set: Unicode whitespace plus the separators Java leaves out. */
    static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int begin = 0;
        int end = s.length();
        while (left && begin < end && stripped(s.charAt(begin), chars)) {
            begin++;
        }
        while (right && end > begin && stripped(s.charAt(end - 1), chars)) {
            end--;
        }
        return s.substring(begin, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    private static boolean anyAffix(String s, Object affix, boolean prefix) {
        if (affix instanceof Collection<?> options) {
            for (Object option : options) {
                if (anyAffix(s, option, prefix)) {
                    return true;
                }
            }
            return false;
        }
        String a = requireString(prefix ? "startswith" : "endswith", affix);
        return prefix ? s.startsWith(a) : s.endsWith(a);
    }

    static List<String> split(String s, String sep, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (sep == null) {
            return splitWhitespace(s, maxSplit);
        }
        if (sep.isEmpty()) {
            throw new UnsupportedConstruct("str.split with an empty separator (ValueError in Python)");
        }
        int from = 0;
        int at;
        while ((maxSplit < 0 || parts.size() < maxSplit) && (at = s.indexOf(sep, from)) >= 0) {
            parts.add(s.substring(from, at));
            from = at + sep.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    private static List<String> rsplit(String s, String sep, int maxSplit) {
        if (sep == null || maxSplit < 0) {
            return split(s, sep, maxSplit);
        }
        if (sep.isEmpty()) {
            throw new UnsupportedConstruct("str.rsplit with an empty separator (ValueError in Python)");
        }
        List<String> parts = new ArrayList<>();
        int end = s.length();
        int at;
        while (parts.size() < maxSplit && (at = s.lastIndexOf(sep, end - sep.length())) >= 0 && end - sep.length() >= 0) {
            parts.addFirst(s.substring(at + sep.length(), end));
            end = at;
        }
        parts.addFirst(s.substring(0, end));
        return parts;
    }

    private static List<String> splitWhitespace(String s, int maxSplit) {
        List<String> parts = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (true) {
            while (i < n && isSpace(s.charAt(i))) {
                i++;
            }
            if (i == n) {
                return parts;
            }
            if (maxSplit >= 0 && parts.size() == maxSplit) {
                // Python keeps the remainder as is, trailing whitespace included
                parts.add(s.substring(i));
                return parts;
            }
            int start = i;
            while (i < n && !isSpace(s.charAt(i))) {
                i++;
            }
            parts.add(s.substring(start, i));
        }
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return out.toString();
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
    }

    private static String replace(String s, String method, Object[] args) {
        if (args == null || args.length < 2 || args.length > 3) {
            throw new UnsupportedConstruct("str.replace with " + (args == null ? 0 : args.length) + " arguments");
        }
        String old = requireString(method, args[0]);
        String replacement = requireString(method, args[1]);
        long count = args.length == 3 ? requireInt(method, args[2]) : -1;
        if (count < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder out = new StringBuilder();
        int from = 0;
        int at;
        for (long done = 0; done < count && !old.isEmpty() && (at = s.indexOf(old, from)) >= 0; done++) {
            out.append(s, from, at).append(replacement);
            from = at + old.length();
        }
        return out.append(s.substring(from)).toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String separator, Object items) {
        if (!(items instanceof Iterable<?> iterable)) {
            throw new UnsupportedConstruct("str.join over " + typeName(items));
        }
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Object item : iterable) {
            if (!first) {
                out.append(separator);
            }
            out.append(requireString("join", item));
            first = false;
        }
        return out.toString();
    }

    /** {@code str.format} with positional fields only: {@code {}}, {@code {0}}, {@code {{}}, {@code }}}. */
    static String format(String s, Object[] args) {
        StringBuilder out = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c == '{' || c == '}') && i + 1 < s.length() && s.charAt(i + 1) == c) {
                out.append(c);
                i++;
            } else if (c == '{') {
                int close = s.indexOf('}', i);
                if (close < 0) {
                    throw new UnsupportedConstruct("str.format with an unclosed field");
                }
                String field = s.substring(i + 1, close);
                int index;
                if (field.isEmpty()) {
                    index = auto++;
                } else if (field.chars().allMatch(Character::isDigit)) {
                    index = Integer.parseInt(field);
                } else {
                    throw new UnsupportedConstruct("str.format field '{" + field + "}'");
                }
                if (index >= args.length) {
                    throw new UnsupportedConstruct("str.format field {" + index + "} without an argument");
                }
                out.append(PythonValues.str(args[index]));
                i = close;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String noArgs(String s, String method, Object[] args) {
        if (args != null && args.length > 0) {
            throw new UnsupportedConstruct("str." + method + " with arguments");
        }
        return s;
    }

    private static String charsArg(String method, Object[] args) {
        return optionalString(method, args, 0);
    }

    private static String optionalString(String method, Object[] args, int i) {
        if (args == null || args.length <= i || args[i] == null) {
            return null;
        }
        return requireString(method, args[i]);
    }

    private static int maxSplit(String method, Object[] args) {
        if (args == null || args.length < 2) {
            return -1;
        }
        if (args.length > 2) {
            throw new UnsupportedConstruct("str." + method + " with " + args.length + " arguments");
        }
        return (int) Math.max(-1, Math.min(Integer.MAX_VALUE, requireInt(method, args[1])));
    }

    private static Object arg(String method, Object[] args, int i, int expected) {
        if (args == null || args.length != expected) {
            throw new UnsupportedConstruct("str." + method + " with " + (args == null ? 0 : args.length) + " arguments");
        }
        return args[i];
    }

    private static String requireString(String method, Object value) {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof com.hubspot.jinjava.objects.SafeString safe) {
            return safe.toString();
        }
        throw new UnsupportedConstruct("str." + method + " with a " + typeName(value) + " argument");
    }

    private static long requireInt(String method, Object value) {
        if (value instanceof Long || value instanceof Integer || value instanceof Short) {
            return ((Number) value).longValue();
        }
        throw new UnsupportedConstruct("str." + method + " with a " + typeName(value) + " count");
    }

    static String typeName(Object value) {
        return value == null ? "None" : value.getClass().getSimpleName();
    }
}

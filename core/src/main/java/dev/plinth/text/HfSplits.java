package dev.plinth.text;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/** Pre-tokenizer steps of Hugging Face {@code tokenizer.json} (Split, Digits, Punctuation, ByteLevel). */
final class HfSplits {
    private HfSplits() {
    }

    /** How matched spans become pieces: HF's {@code SplitDelimiterBehavior}. */
    enum Behavior {
        REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

        static Behavior parse(String name) {
            return switch (name) {
                case "Removed" -> REMOVED;
                case "Isolated" -> ISOLATED;
                case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
                case "MergedWithNext" -> MERGED_WITH_NEXT;
                case "Contiguous" -> CONTIGUOUS;
                default -> throw new IllegalArgumentException("unknown split behavior '" + name + "'");
            };
        }
    }

    /** HF {@code Split}: a regex (Oniguruma syntax, run as a Java Unicode regex) or a literal. */
    record Pattern(java.util.regex.Pattern regex, Behavior behavior, boolean invert) implements PreSplit {
        static Pattern regex(String onigRegex, Behavior behavior, boolean invert) {
            return new Pattern(java.util.regex.Pattern.compile(onigRegex,
                    java.util.regex.Pattern.UNICODE_CHARACTER_CLASS), behavior, invert);
        }

        static Pattern literal(String text, Behavior behavior, boolean invert) {
            return new Pattern(java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(text)), behavior, invert);
        }

        @Override
        public void split(String s, List<String> out) {
            List<int[]> spans = new ArrayList<>();
            java.util.regex.Matcher m = regex.matcher(s);
            int prev = 0;
            while (m.find()) {
                if (m.end() == m.start()) {
                    continue;
                }
                if (m.start() > prev) {
                    spans.add(new int[] {prev, m.start(), 0});
                }
                spans.add(new int[] {m.start(), m.end(), 1});
                prev = m.end();
            }
            if (prev < s.length()) {
                spans.add(new int[] {prev, s.length(), 0});
            }
            apply(s, spans, behavior, invert, out);
        }
    }

    /** A split on a per-character predicate (HF Digits, Punctuation): each such character is a match. */
    record ByCategory(String name, IntPredicate matches, Behavior behavior) implements PreSplit {
        static ByCategory digits(boolean individual) {
            return new ByCategory("Digits", cp -> CodepointFlags.isNumber(cp),
                    individual ? Behavior.ISOLATED : Behavior.CONTIGUOUS);
        }

        static ByCategory punctuation(Behavior behavior) {
            return new ByCategory("Punctuation", cp -> (cp < 128 && isAsciiPunct(cp))
                    || (CodepointFlags.of(cp) & CodepointFlags.PUNCTUATION) != 0, behavior);
        }

        private static boolean isAsciiPunct(int c) {
            return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
        }

        @Override
        public void split(String s, List<String> out) {
            List<int[]> spans = new ArrayList<>();
            int gap = 0;
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                int next = i + Character.charCount(cp);
                if (matches.test(cp)) {
                    if (i > gap) {
                        spans.add(new int[] {gap, i, 0});
                    }
                    spans.add(new int[] {i, next, 1});
                    gap = next;
                }
                i = next;
            }
            if (gap < s.length()) {
                spans.add(new int[] {gap, s.length(), 0});
            }
            apply(s, spans, behavior, false, out);
        }
    }

    /** A Unicode normalizer (HF NFC, NFD, NFKC, NFKD) applied to each piece of text before splitting. */
    record Normalize(java.text.Normalizer.Form form) implements PreSplit {
        @Override
        public void split(String s, List<String> out) {
            out.add(java.text.Normalizer.normalize(s, form));
        }
    }

    /** ByteLevel's {@code add_prefix_space}: a piece not starting with a space gets one. */
    record PrefixSpace() implements PreSplit {
        @Override
        public void split(String s, List<String> out) {
            out.add(!s.isEmpty() && s.charAt(0) == ' ' ? s : " " + s);
        }
    }

    /** Where the ByteLevel pre-tokenizer maps each piece's UTF-8 bytes to GPT-2's characters. */
    record ByteLevelMark() implements PreSplit {
        @Override
        public void split(String s, List<String> out) {
            out.add(ByteLevel.encode(s));
        }
    }

    /** Turns spans {start, end, isMatch} covering {@code s} into pieces as HF's behaviors do. */
    static void apply(String s, List<int[]> spans, Behavior behavior, boolean invert, List<String> out) {
        if (invert) {
            for (int[] sp : spans) {
                sp[2] ^= 1;
            }
        }
        List<int[]> pieces = new ArrayList<>();
        boolean previousMatch = false;
        switch (behavior) {
            case REMOVED -> {
                for (int[] sp : spans) {
                    if (sp[2] == 0) {
                        pieces.add(sp);
                    }
                }
            }
            case ISOLATED -> pieces.addAll(spans);
            case MERGED_WITH_PREVIOUS -> {
                for (int[] sp : spans) {
                    boolean match = sp[2] == 1;
                    if (match && !previousMatch && !pieces.isEmpty()) {
                        pieces.getLast()[1] = sp[1];
                    } else {
                        pieces.add(sp);
                    }
                    previousMatch = match;
                }
            }
            case MERGED_WITH_NEXT -> {
                for (int i = spans.size() - 1; i >= 0; i--) {
                    int[] sp = spans.get(i);
                    boolean match = sp[2] == 1;
                    if (match && !previousMatch && !pieces.isEmpty()) {
                        pieces.getLast()[0] = sp[0];
                    } else {
                        pieces.add(sp);
                    }
                    previousMatch = match;
                }
                java.util.Collections.reverse(pieces);
            }
            case CONTIGUOUS -> {
                for (int[] sp : spans) {
                    boolean match = sp[2] == 1;
                    if (match == previousMatch && !pieces.isEmpty()) {
                        pieces.getLast()[1] = sp[1];
                    } else {
                        pieces.add(sp);
                    }
                    previousMatch = match;
                }
            }
        }
        for (int[] p : pieces) {
            if (p[1] > p[0]) {
                out.add(s.substring(p[0], p[1]));
            }
        }
    }
}

package dev.plinth.text.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Python str semantics of the methods templates call, checked against Python's documented results. */
class PythonStringsTest {
    private static Object call(String s, String method, Object... args) {
        return PythonStrings.invoke(s, method, args);
    }

    @Test
    void documentedPythonResults() {
        // Values as CPython 3 prints them for the same calls.
        assertEquals(List.of("a", "b", "", "c"), call("a.b..c", "split", "."));
        assertEquals(List.of("a", "b..c"), call("a.b..c", "split", ".", 1L));
        assertEquals(List.of("a.b.", "c"), call("a.b..c", "rsplit", ".", 1L));
        assertEquals(List.of("a", "b", "c"), call("  a \t b\nc  ", "split"));
        assertEquals(List.of("1", "2   3   "), call("   1   2   3   ", "split", null, 1L));
        assertEquals(List.of("a", "b c  "), call("  a b c  ", "split", null, 1L));
        assertEquals(List.of(), call("   ", "split"));
        assertEquals(List.of(""), call("", "split", ","));
        assertEquals("x", call("\u00a0\u2003x\u3000\n", "strip"));
        assertEquals("bcb", call("abcba", "strip", "a"));
        assertEquals("cba", call("abcba", "lstrip", "ab"));
        assertEquals("Hello World'S", call("hello wORLD's", "title"));
        assertEquals("a-b.c", call("a.b.c", "replace", ".", "-", 1L));
        assertEquals(2L, call("a.b.c", "count", "."));
        assertEquals(-1L, call("abc", "find", "z"));
        assertEquals("1-2", call("-", "join", List.of("1", "2")));
        assertEquals("{x} 1 2", call("{{x}} {} {}", "format", 1L, 2L));
        assertEquals("b a", call("{1} {0}", "format", "a", "b"));
        assertEquals(true, call("abc", "startswith", List.of("x", "ab")));
    }

    @Test
    void errorsNameTheMethod() {
        UnsupportedConstruct e = assertThrows(UnsupportedConstruct.class, () -> call("a", "casefold"));
        assertEquals("string method 'casefold'", e.getMessage());
        assertThrows(UnsupportedConstruct.class, () -> call("a", "split", ""));
        assertThrows(UnsupportedConstruct.class, () -> call("a", "startswith", 1L));
        assertThrows(UnsupportedConstruct.class, () -> call("{:>3}", "format", "a"));
    }

    @Test
    void splitAndJoinRoundTripOnRandomStrings() {
        Random random = new Random(20251128L);
        String alphabet = "ab.\n <|>";
        for (int i = 0; i < 2_000; i++) {
            String s = randomString(random, alphabet, random.nextInt(24));
            String sep = randomString(random, alphabet, 1 + random.nextInt(2));
            @SuppressWarnings("unchecked")
            List<String> parts = (List<String>) call(s, "split", sep);
            assertEquals(s, String.join(sep, parts), "split(" + sep + ") of " + s);
            parts.forEach(p -> assertFalse(p.contains(sep), "part " + p + " still holds " + sep));
            int max = random.nextInt(3);
            @SuppressWarnings("unchecked")
            List<String> limited = (List<String>) call(s, "rsplit", sep, (long) max);
            assertEquals(s, String.join(sep, limited), "rsplit(" + sep + ", " + max + ") of " + s);
            assertTrue(limited.size() <= max + 1);
            String stripped = (String) call(s, "strip");
            assertEquals(stripped, s.strip(), "strip of " + s);
        }
    }

    private static String randomString(Random random, String alphabet, int length) {
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return b.toString();
    }
}

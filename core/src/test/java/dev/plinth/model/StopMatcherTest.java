package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Stop strings in streamed text, checked against indexOf on the whole text for random splits. */
class StopMatcherTest {

    @Test
    void holdsOnlyWhatCouldStillBecomeAStop() {
        StopMatcher m = new StopMatcher(List.of("</end>", "STOP"));
        assertEquals("hello ", m.push("hello <"));
        assertEquals("", m.push("/en"));
        assertEquals("</enx", m.push("x"));
        assertEquals("a", m.push("aST"));
        assertEquals("", m.push("O"));
        assertEquals("STOb", m.push("b"));
        assertEquals("", m.push("ST"));
        assertEquals("", m.push("OP tail"));
        assertTrue(m.stopped());
    }

    @Test
    void randomSplitsAgreeWithSearchingTheWholeText() {
        SplittableRandom r = new SplittableRandom(77);
        String alphabet = "ab<>/ \n";
        for (int trial = 0; trial < 2000; trial++) {
            StringBuilder text = new StringBuilder();
            int len = r.nextInt(40);
            for (int i = 0; i < len; i++) {
                text.append(alphabet.charAt(r.nextInt(alphabet.length())));
            }
            List<String> stops = List.of("<ab>", "b b", "//");
            int cut = text.length();
            for (String s : stops) {
                int at = text.indexOf(s);
                if (at >= 0) {
                    cut = Math.min(cut, at);
                }
            }
            StopMatcher m = new StopMatcher(stops);
            StringBuilder out = new StringBuilder();
            int i = 0;
            while (i < text.length() && !m.stopped()) {
                int j = Math.min(text.length(), i + 1 + r.nextInt(4));
                String emitted = m.push(text.substring(i, j));
                out.append(emitted);
                assertTrue(cut >= out.length(), "emitted past the stop");
                i = j;
            }
            if (!m.stopped()) {
                out.append(m.flush());
            }
            assertEquals(text.substring(0, cut), out.toString(), text.toString());
            assertEquals(cut < text.length(), m.stopped());
        }
    }

    @Test
    void afterAStopNothingMoreComes() {
        StopMatcher m = new StopMatcher(List.of("x"));
        assertEquals("ab", m.push("abxcd"));
        assertTrue(m.stopped());
        assertEquals("", m.push("more"));
        assertFalse(m.flush().contains("more"));
    }
}

package dev.plinth.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.plinth.text.SpecialTokens.Entry;
import dev.plinth.text.SpecialTokens.Fragment;
import dev.plinth.text.SpecialTokens.Matching;
import dev.plinth.text.SpecialTokens.Text;
import dev.plinth.text.SpecialTokens.Token;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecialTokensTest {

    private static final List<Entry> ENTRIES = List.of(
            new Entry(1, "<s>", true, false, false),
            new Entry(2, "</s>", true, false, true),
            new Entry(3, "<|user|>", false, true, false),
            new Entry(4, "<|user|>x", false, false, false));

    @Test
    void llamaCppSplitsLongerTokensFirstAndStripsCSpace() {
        SpecialTokens st = new SpecialTokens(ENTRIES, Matching.LLAMA_CPP);
        List<Fragment> got = st.split("a \t<|user|>b<s></s>  \nc<|user|>xy", true);
        assertEquals(List.of(new Text("a"), new Token(3), new Text("b"), new Token(1), new Token(2), new Text("c"),
                new Token(4), new Text("y")), got);
    }

    @Test
    void controlTokensNeedParseSpecialUserDefinedDoNot() {
        SpecialTokens st = new SpecialTokens(ENTRIES, Matching.LLAMA_CPP);
        assertEquals(List.of(new Text("<s>a"), new Token(3), new Text("</s>")), st.split("<s>a<|user|></s>", false));
        assertEquals(List.of(), st.split("", true));
    }

    @Test
    void leftmostLongestTakesTheEarliestMatch() {
        // "<|user|>" at 0 overlaps nothing; "</s>" rstrip absorbs Unicode whitespace (U+3000 too)
        SpecialTokens st = new SpecialTokens(ENTRIES, Matching.LEFTMOST_LONGEST);
        assertEquals(List.of(new Token(4), new Text("y"), new Token(2), new Text("z")),
                st.split("<|user|>xy</s>\u3000 z", true));
        assertEquals(List.of(new Text("q"), new Token(3), new Text("q")), st.split("q \u00a0<|user|>q", true));
    }
}

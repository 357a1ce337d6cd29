package dev.plinth.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConformanceStringsTest {

    @Test
    void sampleIsLargeDistinctAndReproducible() {
        List<String> a = ConformanceStrings.sample(1000);
        List<String> b = ConformanceStrings.sample(1000);
        assertEquals(a, b);
        assertTrue(a.size() >= 1000, "size " + a.size());
        assertTrue(a.stream().anyMatch(s -> s.contains("\u200d")), "ZWJ sequences");
        assertTrue(a.stream().anyMatch(s -> s.contains("def ")), "code");
        assertTrue(a.stream().anyMatch(s -> s.codePoints().anyMatch(c -> c >= 0x4e00 && c < 0xa000)), "CJK");
        assertTrue(a.stream().noneMatch(String::isEmpty));
    }

    @Test
    void hfReferenceTokenizesFakeGpt2() throws Exception {
        var path = SharedData.require("models/fake-gpt2/tokenizer.json");
        try (HfReference ref = HfReference.load(path)) {
            int[] ids = ref.encode("Hello world");
            assertTrue(ids.length >= 2);
            assertEquals("Hello world", ref.decode(ids, false));
            assertArrayEquals(ids, ref.encode("Hello world", false));
        }
    }
}

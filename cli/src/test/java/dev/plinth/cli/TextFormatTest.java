package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TextFormatTest {

    @Test
    void escapesWhitespaceQuotesAndControlCharacters() {
        assertEquals("a b\\n\\t\\r\\\\\\\"\\u0000\\u001b\\u200b▁Ġé", TextFormat.escape("a b\n\t\r\\\"\0\u001b\u200b▁Ġé"));
    }

    @Test
    void cutsLongStringsByCodePointsAndSaysHowLong() {
        String template = "{% for m in messages %}".repeat(10);
        String shown = TextFormat.value(template);
        assertEquals("\"" + template.substring(0, 64) + "\"… (230 chars)", shown);
        assertEquals("\"" + "😀".repeat(64) + "\"… (65 chars)", TextFormat.value("😀".repeat(65)));
        assertEquals("\"short\"", TextFormat.value("short"));
    }

    @Test
    void showsShortArraysInFullAndSummarisesLongOnes() {
        assertEquals("[]", TextFormat.value(List.of()));
        assertEquals("[1, 2, 3]", TextFormat.value(List.of(1, 2, 3)));
        assertEquals("[\"a\", \"b\\n\"]", TextFormat.value(List.of("a", "b\n")));
        List<Integer> nine = IntStream.range(0, 9).boxed().toList();
        assertEquals("[9 integers: 0, 1, 2, …]", TextFormat.value(nine));
        assertEquals("[9 floats: 0.5, 0.5, 0.5, …]", TextFormat.value(Collections.nCopies(9, 0.5f)));
        assertEquals("[9 arrays: [1], [1], [1], …]", TextFormat.value(Collections.nCopies(9, List.of(1))));
        assertEquals("null", TextFormat.value(null));
        assertEquals("[null, 1]", TextFormat.value(Arrays.asList(null, 1)));
        Map<String, Object> small = new LinkedHashMap<>();
        small.put("type", "linear");
        small.put("factor", 2.0);
        assertEquals("{type: \"linear\", factor: 2.0}", TextFormat.value(small));
        Map<String, Object> big = new LinkedHashMap<>();
        IntStream.range(0, 9).forEach(i -> big.put("k" + i, i));
        assertEquals("{9 entries: k0: 0, k1: 1, k2: 2, …}", TextFormat.value(big));
        assertEquals("18446744073709551615", TextFormat.value(new BigInteger("18446744073709551615")));
    }

    @Test
    void countsForPeople() {
        assertEquals("999", TextFormat.approximate(999));
        assertEquals("292.8K", TextFormat.approximate(292_800));
        assertEquals("1.0M", TextFormat.approximate(999_999));
        assertEquals("6.7B", TextFormat.approximate(6_738_415_616L));
        assertEquals("1,171,200", TextFormat.grouped(1_171_200));
        assertEquals("1023 B", TextFormat.bytes(1023));
        assertEquals("1.1 MiB", TextFormat.bytes(1_171_200));
    }

    @Test
    void alignsTableColumns() {
        List<String> lines = TextFormat.table(List.of(
                new String[] {"id", "piece"},
                new String[] {"1", "\"<s>\""},
                new String[] {"403", "\"▁Once\""}), true, false);
        assertEquals(List.of(" id  piece", "  1  \"<s>\"", "403  \"▁Once\""), lines);
    }
}

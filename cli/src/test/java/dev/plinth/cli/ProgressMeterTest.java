package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressMeterTest {

    private static Console console(ByteArrayOutputStream err) {
        return new Console(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8),
                new ByteArrayInputStream(new byte[0]));
    }

    @Test
    void lineShowsBarPercentAmountsAndRate() {
        ProgressMeter m = new ProgressMeter(console(new ByteArrayOutputStream()), "reading", 4L << 20, ProgressMeter.Unit.BYTES);
        m.update(1L << 20);
        String line = m.line(false);
        assertTrue(line.startsWith("plinth: reading [######..................]  25%  1.0 MiB / 4.0 MiB  "), line);
        assertTrue(line.matches(".* [0-9.]+ (B|KiB|MiB|GiB|TiB)/s"), "no ETA in the first two seconds: " + line);
        String last = m.line(true);
        assertTrue(last.contains("[########################] 100%  1.0 MiB / 1.0 MiB") && last.contains("  in 0:00"), last);
    }

    @Test
    void unknownTotalHasNoBarAndLogModePrintsOnlyTheFinalLine() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ProgressMeter m = new ProgressMeter(console(err), "merging", 0, ProgressMeter.Unit.COUNT);
        for (int i = 1; i <= 1000; i++) {
            m.update(i);
        }
        m.finish();
        String out = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, out.lines().count(), "not a terminal: one line per 10 s, then the final one: " + out);
        assertTrue(out.startsWith("plinth: merging [") && out.contains("1.0K / 1.0K"), out);
        m.finish();
        assertEquals(1, err.toString(StandardCharsets.UTF_8).lines().count(), "a finished phase is not drawn again");
    }

    @Test
    void quietShowsNothingAndDurationsRead() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Console c = console(err);
        c.setVerbosity(Console.Verbosity.QUIET);
        ProgressMeter m = new ProgressMeter(c, "x", 10, ProgressMeter.Unit.COUNT);
        m.update(10);
        m.finish();
        assertEquals("", err.toString(StandardCharsets.UTF_8));
        assertEquals("0:59", ProgressMeter.duration(59.4));
        assertEquals("2:05", ProgressMeter.duration(125));
        assertEquals("1:01:01", ProgressMeter.duration(3661));
    }
}

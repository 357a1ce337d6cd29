package dev.plinth.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainConfigTest {

    @TempDir
    Path tmp;

    @Test
    void readsPropertiesWithCommentsOverTheDefaultsAndFlagsWin() throws Exception {
        Path f = tmp.resolve("r.properties");
        Files.writeString(f, """
                # a recipe
                hidden = 96
                layers=3
                ! also a comment
                kv-heads : 2
                lr = 3e-4
                min-lr = 0
                recompute = yes
                steps = 10_000
                """);
        PretrainConfig c = PretrainConfig.read(f);
        assertEquals(96, c.hidden());
        assertEquals(3, c.layers());
        assertEquals(2, c.kvHeads());
        assertEquals(3e-4, c.lr());
        assertEquals(10_000, c.steps());
        assertTrue(c.recompute());
        assertEquals(PretrainConfig.defaults().ffn(), c.ffn());
        PretrainConfig o = c.with(Map.of("steps", "50", "warmup", "5"), "flags");
        assertEquals(50, o.steps());
        assertEquals(96, o.hidden());
        assertEquals(c, PretrainConfig.parse(c.toProperties(), "round trip"));
        assertEquals(PretrainConfig.KEYS, c.toMap().keySet().stream().toList());
        assertEquals((long) c.batch() * c.gradAccum() * c.context(), c.tokensPerStep());
    }

    @Test
    void badKeysAndValuesNameTheSource() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PretrainConfig.parse("hiden = 3\n", "x.properties"));
        assertTrue(e.getMessage().startsWith("x.properties: unknown key 'hiden'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PretrainConfig.parse("lr = fast\n", "x.properties"));
        assertTrue(e.getMessage().contains("lr = 'fast' is not a number"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PretrainConfig.parse("heads = 5\n", "x.properties"));
        assertTrue(e.getMessage().startsWith("x.properties: hidden 256 must split into 5 heads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PretrainConfig.parse("warmup = 5000\n", "x"));
        assertTrue(e.getMessage().contains("warmup 5000"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PretrainConfig.parse("tied = maybe\n", "x"));
    }
}

package dev.plinth.io.hf;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.plinth.SharedData;
import dev.plinth.io.ModelFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Mutated real config.json / tokenizer_config.json files: each parses (accessors work) or is a ModelFormatException. */
class HfJsonFuzzTest {

    static final int CASES = 3000;
    private static final byte[][] SNIPPETS = {"null".getBytes(), "-1".getBytes(), "1e400".getBytes(), "\"x\"".getBytes(),
            "[]".getBytes(), "{}".getBytes(), "99999999999999999999".getBytes(), "true".getBytes(), ",".getBytes(),
            "{\"content\":1}".getBytes(), "[{\"name\":\"a\"}]".getBytes()};

    @Test
    void mutatedConfigsParseOrFailCleanly() throws Exception {
        byte[][] seeds = {
                Files.readAllBytes(SharedData.require("models/fake-gpt2/config.json")),
                Files.readAllBytes(SharedData.require("models/bert-tiniest/config.json")),
                Files.readAllBytes(SharedData.require("models/fake-gpt2/tokenizer_config.json")),
                Files.readAllBytes(SharedData.require("models/bert-tiniest/tokenizer_config.json"))};
        Random rnd = new Random(11);
        Path src = Path.of("fuzz.json");
        int parsed = 0;
        int rejected = 0;
        for (int i = 0; i < CASES; i++) {
            int which = rnd.nextInt(seeds.length);
            byte[] b = mutate(seeds[which], rnd);
            try {
                if (which < 2) {
                    HfConfig c = HfConfig.parse(src, b);
                    c.hiddenSize();
                    c.layerNormEps();
                    c.architectures();
                    c.ropeScaling();
                    c.asMap();
                } else {
                    TokenizerConfig t = TokenizerConfig.parse(src, b);
                    t.modelMaxLength();
                    t.bosToken();
                    t.chatTemplate();
                    t.addedTokensDecoder();
                    t.asMap();
                }
                parsed++;
            } catch (ModelFormatException e) {
                rejected++;
            } catch (Throwable t) {
                fail("case " + i + " threw " + t + " for " + new String(b, java.nio.charset.StandardCharsets.UTF_8), t);
            }
        }
        System.out.printf("HF JSON fuzz: %d cases, %d parsed, %d rejected with ModelFormatException%n", CASES, parsed, rejected);
        assertTrue(parsed > 0 && rejected > 0);
    }

    private static byte[] mutate(byte[] seed, Random rnd) {
        byte[] b = seed.clone();
        switch (rnd.nextInt(4)) {
            case 0 -> b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
            case 1 -> b = Arrays.copyOf(b, rnd.nextInt(b.length));
            default -> { // replace a value after some colon with a snippet
                int colon = -1;
                for (int tries = 0; tries < 20 && colon < 0; tries++) {
                    int at = rnd.nextInt(b.length);
                    if (b[at] == ':') {
                        colon = at;
                    }
                }
                if (colon < 0) {
                    b[rnd.nextInt(b.length)] ^= 1;
                    break;
                }
                int end = colon + 1;
                while (end < b.length && b[end] != ',' && b[end] != '\n') {
                    end++;
                }
                byte[] s = SNIPPETS[rnd.nextInt(SNIPPETS.length)];
                byte[] out = new byte[colon + 1 + s.length + b.length - end];
                System.arraycopy(b, 0, out, 0, colon + 1);
                System.arraycopy(s, 0, out, colon + 1, s.length);
                System.arraycopy(b, end, out, colon + 1 + s.length, b.length - end);
                b = out;
            }
        }
        return b;
    }
}

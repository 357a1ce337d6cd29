package dev.plinth.io.llama2c;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutation fuzzing of the checkpoint and tokenizer readers: small valid generated files
 * with mutated header fields, bytes, and lengths; each case parses (every tensor readable) or
 * throws {@link ModelFormatException}.
 */
class Llama2cFuzzTest {

    static final int CASES = 3000;
    private static final int[] INTERESTING = {0, 1, -1, 2, 3, 7, 8, 64, 172, 512, 1 << 16, Integer.MAX_VALUE,
            Integer.MIN_VALUE, 0x616b3432, -512, 46341};

    @TempDir
    Path tmp;

    @Test
    void mutatedCheckpointsParseOrFailCleanly() throws Exception {
        Random rnd = new Random(7);
        Path p = tmp.resolve("case.bin");
        int parsed = 0;
        int rejected = 0;
        byte[] seed = null;
        for (int i = 0; i < CASES; i++) {
            if (i % 100 == 0) {
                seed = Llama2cRoundTripTest.randomCheckpointBytes(rnd, tmp.resolve("seed.bin"));
            }
            byte[] b = mutateCheckpoint(seed, rnd);
            boolean viaFile = i % 20 == 0;
            if (viaFile) {
                Files.write(p, b);
            }
            try (Llama2cCheckpoint c = viaFile ? Llama2cCheckpoint.open(p)
                    : Llama2cCheckpoint.of(p, null, MemorySegment.ofArray(b))) {
                for (Tensor t : c.tensors()) {
                    t.data().get(ValueLayout.JAVA_BYTE, t.data().byteSize() - 1);
                }
                parsed++;
            } catch (ModelFormatException e) {
                assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
                rejected++;
            } catch (Throwable t) {
                fail("case " + i + " threw " + t + " for header " + Arrays.toString(Arrays.copyOf(b, Math.min(28, b.length))), t);
            }
        }
        System.out.printf("llama2.c checkpoint fuzz: %d cases, %d parsed, %d rejected with ModelFormatException%n",
                CASES, parsed, rejected);
        assertTrue(parsed > 0 && rejected > CASES / 2);
    }

    @Test
    void mutatedTokenizersParseOrFailCleanly() throws Exception {
        Random rnd = new Random(8);
        Path p = tmp.resolve("tok.bin");
        int parsed = 0;
        int rejected = 0;
        byte[] seed = null;
        for (int i = 0; i < CASES; i++) {
            if (i % 100 == 0) {
                Llama2cRoundTripTest.randomVocabulary(rnd, 20).write(p);
                seed = Files.readAllBytes(p);
            }
            byte[] b = seed.clone();
            switch (rnd.nextInt(4)) {
                case 0 -> b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> {
                    int at = rnd.nextInt(Math.max(1, b.length - 3));
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, INTERESTING[rnd.nextInt(INTERESTING.length)]);
                }
                case 2 -> b = Arrays.copyOf(b, rnd.nextInt(b.length));
                default -> b = Arrays.copyOf(b, b.length + 1 + rnd.nextInt(9));
            }
            try {
                Llama2cVocabulary v = Llama2cVocabulary.parse(p, b, rnd.nextBoolean() ? 20 : -1);
                assertTrue(v.size() <= b.length / 8);
                parsed++;
            } catch (ModelFormatException e) {
                rejected++;
            } catch (Throwable t) {
                fail("tokenizer case " + i + " threw " + t, t);
            }
        }
        System.out.printf("llama2.c tokenizer fuzz: %d cases, %d parsed, %d rejected with ModelFormatException%n",
                CASES, parsed, rejected);
        assertTrue(parsed > 0 && rejected > 0);
    }

    static byte[] mutateCheckpoint(byte[] seed, Random rnd) {
        byte[] b = seed.clone();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        switch (rnd.nextInt(6)) {
            case 0 -> bb.putInt(4 * rnd.nextInt(7), INTERESTING[rnd.nextInt(INTERESTING.length)]);
            case 1 -> bb.putInt(4 * rnd.nextInt(7), bb.getInt(4 * rnd.nextInt(7)) + rnd.nextInt(5) - 2);
            case 2 -> b[rnd.nextInt(28)] ^= (byte) (1 << rnd.nextInt(8));
            case 3 -> bb.putInt(4 * rnd.nextInt(7), rnd.nextInt());
            case 4 -> b = Arrays.copyOf(b, rnd.nextInt(b.length));
            default -> b = Arrays.copyOf(b, b.length + 4 * (1 + rnd.nextInt(64)));
        }
        return b;
    }
}

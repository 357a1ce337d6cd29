package dev.plinth.train.corpus;

import dev.plinth.io.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class TokenShardTest {

    @TempDir
    Path dir;

    private static int[] randomDocs(Random rnd, int vocab, int eos, int docs) {
        int[] out = new int[docs * 40];
        int n = 0;
        for (int d = 0; d < docs; d++) {
            int len = rnd.nextInt(30);
            for (int i = 0; i < len; i++) {
                int id;
                do {
                    id = rnd.nextInt(vocab);
                } while (id == eos);
                out[n++] = id;
            }
            out[n++] = eos;
        }
        return java.util.Arrays.copyOf(out, n);
    }

    @Test
    void roundTripsUint16AndUint32() throws IOException {
        Random rnd = new Random(7);
        for (int vocab : new int[] {50257, 65536, 65537, 151936}) {
            int eos = vocab - 1;
            int[] ids = randomDocs(rnd, vocab, eos, 25);
            Path f = dir.resolve("s" + vocab + ".bin");
            TokenShard.write(f, ids, ids.length, vocab, eos, 25);
            assertEquals(TokenShard.HEADER_BYTES + (long) ids.length * TokenShard.tokenBytesFor(vocab), Files.size(f));
            try (TokenShard s = TokenShard.open(f)) {
                assertEquals(vocab <= 65536 ? 2 : 4, s.tokenBytes());
                assertEquals(ids.length, s.tokenCount());
                assertEquals(25, s.documentCount());
                assertEquals(eos, s.eosId());
                int[] back = new int[ids.length];
                for (int i = 0; i < back.length; i++) {
                    back[i] = s.token(i);
                }
                assertArrayEquals(ids, back);
                assertEquals(f.toFile().length() - TokenShard.HEADER_BYTES, s.tokens().byteSize());
            }
        }
    }

    @Test
    void rejectsHeaderLyingAboutTokenCount() throws IOException {
        int[] ids = {1, 2, 3, 9};
        Path f = dir.resolve("lie.bin");
        TokenShard.write(f, ids, ids.length, 10, 9, 1);
        byte[] bytes = Files.readAllBytes(f);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(24, Long.MAX_VALUE / 2);
        Files.write(f, bytes);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TokenShard.open(f));
        assertEquals("tokenCount", e.field());
        assertEquals(24, e.offset());
        assertEquals(f, e.file());
    }

    @Test
    void rejectsTruncatedAndWrongMagic() throws IOException {
        int[] ids = {1, 2, 3, 9};
        Path f = dir.resolve("t.bin");
        TokenShard.write(f, ids, ids.length, 10, 9, 1);
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(bytes, bytes.length - 1));
        assertEquals("tokenCount", assertThrows(ModelFormatException.class, () -> TokenShard.open(f)).field());
        Files.write(f, java.util.Arrays.copyOf(bytes, 40));
        assertEquals("header", assertThrows(ModelFormatException.class, () -> TokenShard.open(f)).field());
        bytes[0] = 'X';
        Files.write(f, bytes);
        assertEquals("magic", assertThrows(ModelFormatException.class, () -> TokenShard.open(f)).field());
    }

    /** Seeded mutations of valid shards: each either opens consistently or fails with ModelFormatException. */
    @Test
    void fuzzedShardsOpenOrFailCleanly() throws IOException {
        Random rnd = new Random(20261128L);
        int cases = 1500;
        int rejected = 0;
        Path f = dir.resolve("fuzz.bin");
        for (int c = 0; c < cases; c++) {
            int vocab = rnd.nextBoolean() ? 300 : 70000;
            int[] ids = randomDocs(rnd, vocab, 0, 1 + rnd.nextInt(4));
            TokenShard.write(f, ids, ids.length, vocab, 0, countEos(ids));
            byte[] bytes = Files.readAllBytes(f);
            bytes = mutate(rnd, bytes);
            Files.write(f, bytes);
            try (TokenShard s = TokenShard.open(f)) {
                assertEquals(bytes.length - TokenShard.HEADER_BYTES, s.tokenCount() * s.tokenBytes());
                for (long i = 0; i < s.tokenCount(); i++) {
                    assertTrue(s.token(i) < s.vocabSize());
                }
            } catch (ModelFormatException e) {
                rejected++;
                assertEquals(f, e.file());
                assertTrue(e.field() != null && e.offset() >= 0, e.getMessage());
            } catch (RuntimeException | Error e) {
                fail("case " + c + " threw " + e, e);
            }
        }
        System.out.println("TokenShard fuzz: " + cases + " cases, " + rejected + " rejected");
        assertTrue(rejected > cases / 2, "most mutations must be caught: " + rejected);
    }

    private static long countEos(int[] ids) {
        long n = 0;
        for (int id : ids) {
            if (id == 0) {
                n++;
            }
        }
        return n;
    }

    private static byte[] mutate(Random rnd, byte[] b) {
        switch (rnd.nextInt(5)) {
            case 0 -> b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
            case 1 -> b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length));
            case 2 -> b = java.util.Arrays.copyOf(b, b.length + 1 + rnd.nextInt(8));
            case 3 -> {
                int field = 8 + 4 * rnd.nextInt(8);
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(field, rnd.nextInt());
            }
            default -> b[rnd.nextInt(Math.min(b.length, TokenShard.HEADER_BYTES))] = (byte) rnd.nextInt(256);
        }
        return b;
    }
}

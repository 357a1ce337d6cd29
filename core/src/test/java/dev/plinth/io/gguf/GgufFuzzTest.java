package dev.plinth.io.gguf;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutation fuzzing of small valid GGUF files: every case must either parse (and then every
 * value and tensor must be readable) or fail with a ModelFormatException, quickly. Cases:
 * {@code -Dplinth.fuzz.cases} (default 10000); seed: {@code -Dplinth.fuzz.seed}.
 */
public class GgufFuzzTest {

    static final long PER_CASE_LIMIT_NANOS = 2_000_000_000L;
    private static final long[] EXTREMES = {0, -1, 1L << 31, (1L << 31) - 1, 1L << 32, 1L << 63, Long.MAX_VALUE,
        1L << 62, 1L << 40, 24, 32, 64};

    @TempDir
    Path tmp;

    /** A mutated image and how it was made, for the failure message. */
    public record Case(byte[] image, String how) {
    }

    static List<byte[]> bases(Path dir) throws IOException {
        List<byte[]> out = new ArrayList<>();
        int[][] variants = {{3, 32, 1}, {2, 32, 0}, {3, 1, 1}, {3, 8, 0}, {2, 64, 1}};
        for (int v = 0; v < variants.length; v++) {
            Path p = dir.resolve("base-" + v + ".gguf");
            GgufSamples.sample(100 + v, new GgufSamples.Options(variants[v][0], variants[v][1], variants[v][2] == 1, true)).write(p);
            out.add(Files.readAllBytes(p));
        }
        GgufWriter vocabOnly = new GgufWriter().padEmptyDataSection(false)
                .put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufType.STRING, List.of("<s>", "a", "▁b", "é")))
                .put("tokenizer.ggml.scores", GgufValue.ofArray(GgufType.FLOAT32, List.of(0f, -1f, -2f, -3f)));
        Path p = dir.resolve("vocab.gguf");
        vocabOnly.write(p);
        out.add(Files.readAllBytes(p));
        return out;
    }

    /** One to three seeded mutations of {@code base} (a valid image whose fields {@code fields} maps). */
    public static Case mutate(byte[] base, GgufFieldMap fields, Random r) {
        byte[] m = base.clone();
        StringBuilder how = new StringBuilder();
        int rounds = r.nextInt(4) == 0 ? 2 + r.nextInt(2) : 1;
        for (int k = 0; k < rounds && m.length > 0; k++) {
            switch (r.nextInt(7)) {
                case 0 -> {
                    int flips = 1 + r.nextInt(8);
                    for (int i = 0; i < flips; i++) {
                        int at = r.nextInt(m.length);
                        int bit = r.nextInt(8);
                        m[at] ^= (byte) (1 << bit);
                        how.append("flip ").append(at).append('.').append(bit).append("; ");
                    }
                }
                case 1 -> {
                    int at = r.nextInt(m.length);
                    byte[] special = {0, -1, (byte) 0x80, 0x7F, 9, 8};
                    byte v = r.nextBoolean() ? special[r.nextInt(special.length)] : (byte) r.nextInt();
                    m[at] = v;
                    how.append("byte ").append(at).append('=').append(v).append("; ");
                }
                case 2 -> {
                    int len = r.nextInt(m.length);
                    m = Arrays.copyOf(m, len);
                    how.append("truncate ").append(len).append("; ");
                }
                case 3, 4 -> {
                    if (fields.u64.isEmpty()) {
                        break;
                    }
                    int at = fields.u64.get(r.nextInt(fields.u64.size()));
                    if (at + 8 > m.length) {
                        break;
                    }
                    ByteBuffer bb = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
                    long orig = bb.getLong(at);
                    long v = switch (r.nextInt(4)) {
                        case 0 -> EXTREMES[r.nextInt(EXTREMES.length)];
                        case 1 -> orig + (r.nextBoolean() ? 1 : -1);
                        case 2 -> m.length + r.nextInt(3) - 1;
                        default -> r.nextBoolean() ? orig * 2 : r.nextLong();
                    };
                    bb.putLong(at, v);
                    how.append("u64@").append(at).append(' ').append(orig).append("->").append(v).append("; ");
                }
                case 5 -> {
                    int at = fields.u32.get(r.nextInt(fields.u32.size()));
                    if (at + 4 > m.length) {
                        break;
                    }
                    ByteBuffer bb = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
                    int orig = bb.getInt(at);
                    int[] special = {0, -1, 1 << 31, 13, 9, 8, 31, 40, 4, 5, 1};
                    int v = switch (r.nextInt(3)) {
                        case 0 -> special[r.nextInt(special.length)];
                        case 1 -> orig + (r.nextBoolean() ? 1 : -1);
                        default -> r.nextInt();
                    };
                    bb.putInt(at, v);
                    how.append("u32@").append(at).append(' ').append(orig).append("->").append(v).append("; ");
                }
                default -> {
                    int from = r.nextInt(m.length);
                    int len = Math.min(1 + r.nextInt(16), m.length - from);
                    boolean delete = r.nextBoolean();
                    byte[] n = new byte[delete ? m.length - len : m.length + len];
                    System.arraycopy(m, 0, n, 0, from);
                    if (delete) {
                        System.arraycopy(m, from + len, n, from, m.length - from - len);
                    } else {
                        System.arraycopy(m, from, n, from, len);
                        System.arraycopy(m, from, n, from + len, m.length - from);
                    }
                    m = n;
                    how.append(delete ? "delete " : "duplicate ").append(from).append('+').append(len).append("; ");
                }
            }
        }
        return new Case(m, how.toString());
    }

    /** Parses and touches everything; true when the image parsed. */
    static boolean parseAll(Path label, byte[] image) throws ModelFormatException {
        GgufFile f;
        try {
            f = GgufFile.parse(label, MemorySegment.ofArray(image));
        } catch (ModelFormatException e) {
            if (e.offset() < -1 || e.offset() > image.length || e.field() == null
                    || !e.getMessage().startsWith(label.toString())) {
                throw new AssertionError("badly located rejection: " + e.getMessage(), e);
            }
            return false;
        }
        for (GgufValue v : f.metadata().values()) {
            touch(v.value());
        }
        for (GgufFile.TensorInfo info : f.tensorInfos()) {
            Tensor t = f.tensor(info);
            if (t.data().byteSize() > 0) {
                t.data().get(ValueLayout.JAVA_BYTE, t.data().byteSize() - 1);
            }
        }
        return true;
    }

    private static void touch(Object v) {
        if (v instanceof GgufValue.GgufArray a) {
            for (Object e : a.elements()) {
                touch(e);
            }
        }
    }

    @Test
    void mutatedFilesParseOrFailCleanly() throws IOException {
        int cases = Integer.getInteger("plinth.fuzz.cases", 10_000);
        long seed = Long.getLong("plinth.fuzz.seed", 20261128L);
        List<byte[]> bases = bases(tmp);
        List<GgufFieldMap> maps = bases.stream().map(GgufFieldMap::new).toList();
        Path label = tmp.resolve("fuzz.gguf");
        long[] counts = new long[2];
        long[] slowest = new long[1];
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int i = 0; i < cases; i++) {
                Random r = new Random(seed * 1_000_003L + i);
                int b = r.nextInt(bases.size());
                Case c = mutate(bases.get(b), maps.get(b), r);
                long t0 = System.nanoTime();
                try {
                    counts[parseAll(label, c.image()) ? 0 : 1]++;
                } catch (Throwable t) {
                    fail("case " + i + " (seed " + seed + ", base " + b + ": " + c.how() + ") threw " + t, t);
                }
                long took = System.nanoTime() - t0;
                slowest[0] = Math.max(slowest[0], took);
                assertTrue(took < PER_CASE_LIMIT_NANOS, "case " + i + " (" + c.how() + ") took " + took / 1_000_000 + " ms");
            }
        });
        System.out.printf("GGUF fuzz: %d cases (seed %d): %d parsed, %d rejected with ModelFormatException; slowest %.2f ms%n",
                cases, seed, counts[0], counts[1], slowest[0] / 1e6);
        assertTrue(counts[1] > cases / 10, "most mutations should be caught");
    }
}

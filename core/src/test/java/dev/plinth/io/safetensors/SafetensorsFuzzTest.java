package dev.plinth.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutation fuzzing: small valid files, mutated in the ways that break parsers (byte flips,
 * JSON edits, interesting numbers, length field, truncation); each case must parse, with every
 * tensor readable, or throw {@link ModelFormatException}.
 */
public class SafetensorsFuzzTest {

    static final int CASES = 4000;
    private static final String[] SNIPPETS = {"-1", "0", "18446744073709551616", "9223372036854775807", "4294967296",
            "1e9", "null", "\"x\"", "[]", "{}", "[0,0]", "\"F64\"", "\"U8\"", "\"BOOL\"", ",", "\"", "\\u0000", "\u00e9",
            "\"__metadata__\"", "\"shape\"", "\"data_offsets\"", "[[[[[[", "}}}", "\uD83D\uDE00"};

    @TempDir
    Path tmp;

    @Test
    void mutatedFilesParseOrFailCleanly() throws Exception {
        Random rnd = new Random(20261128);
        byte[] seed = null;
        Path p = tmp.resolve("case.safetensors");
        int parsed = 0;
        int rejected = 0;
        for (int i = 0; i < CASES; i++) {
            if (i % 50 == 0) {
                List<Tensor> tensors = SafetensorsRoundTripTest.randomTensors(rnd, 1 + rnd.nextInt(4));
                seed = inMemory(tensors, rnd.nextBoolean() ? Map.of("format", "pt") : null);
            }
            byte[] bytes = mutate(seed, rnd);
            // Every 20th case goes through a real file and mapping; the rest parse from the heap.
            boolean viaFile = i % 20 == 0;
            if (viaFile) {
                Files.write(p, bytes);
            }
            try (SafetensorsFile f = viaFile ? SafetensorsFile.open(p)
                    : SafetensorsFile.of(p, null, MemorySegment.ofArray(bytes))) {
                for (Tensor t : f.tensors()) {
                    if (t.data().byteSize() > 0) {
                        t.data().get(ValueLayout.JAVA_BYTE, 0);
                        t.data().get(ValueLayout.JAVA_BYTE, t.data().byteSize() - 1);
                    }
                    t.elementCount();
                }
                parsed++;
            } catch (ModelFormatException e) {
                assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
                rejected++;
            } catch (Throwable t) {
                fail("case " + i + " threw " + t + " for " + Arrays.toString(Arrays.copyOf(bytes, Math.min(bytes.length, 200))), t);
            }
        }
        System.out.printf("safetensors fuzz: %d cases, %d parsed, %d rejected with ModelFormatException%n",
                CASES, parsed, rejected);
        assertTrue(parsed > 0 && rejected > CASES / 2, "fuzzer should produce both outcomes");
    }

    /** What {@link SafetensorsWriter#write} would write, built in memory. */
    static byte[] inMemory(List<Tensor> tensors, Map<String, String> metadata) {
        List<Tensor> sorted = SafetensorsWriter.sortLikeHuggingFace(tensors);
        byte[] header = SafetensorsWriter.header(sorted, metadata);
        ByteBuffer out = ByteBuffer.allocate(8 + header.length
                + (int) sorted.stream().mapToLong(t -> t.data().byteSize()).sum()).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header);
        sorted.forEach(t -> out.put(t.data().toArray(ValueLayout.JAVA_BYTE)));
        return out.array();
    }

    /** One seeded mutation of the valid safetensors image {@code in}. */
    public static byte[] mutate(byte[] in, Random rnd) {
        long headerLen = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        int headerEnd = (int) (8 + headerLen);
        byte[] b = in.clone();
        int kind = rnd.nextInt(8);
        switch (kind) {
            case 0 -> { // flip bits anywhere
                for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 1 -> b[8 + rnd.nextInt(headerEnd - 8)] = (byte) rnd.nextInt(256); // random header byte
            case 2 -> { // splice a snippet into the header, fixing the length field
                String h = new String(b, 8, headerEnd - 8, StandardCharsets.UTF_8);
                int at = rnd.nextInt(h.length());
                int cut = rnd.nextInt(Math.min(6, h.length() - at) + 1);
                String s = h.substring(0, at) + SNIPPETS[rnd.nextInt(SNIPPETS.length)] + h.substring(at + cut);
                b = withHeader(b, headerEnd, s.getBytes(StandardCharsets.UTF_8));
            }
            case 3 -> { // change one number in the header
                String h = new String(b, 8, headerEnd - 8, StandardCharsets.UTF_8);
                var m = java.util.regex.Pattern.compile("\\d+").matcher(h);
                List<int[]> spans = m.results().map(r -> new int[] {r.start(), r.end()}).toList();
                int[] span = spans.get(rnd.nextInt(spans.size()));
                String num = switch (rnd.nextInt(4)) {
                    case 0 -> Long.toString(Long.parseLong(h.substring(span[0], span[1])) + rnd.nextInt(9) - 4);
                    case 1 -> Long.toString(rnd.nextLong() >>> rnd.nextInt(64));
                    case 2 -> SNIPPETS[rnd.nextInt(4)];
                    default -> Integer.toString(rnd.nextInt(100));
                };
                String s = h.substring(0, span[0]) + num + h.substring(span[1]);
                b = withHeader(b, headerEnd, s.getBytes(StandardCharsets.UTF_8));
            }
            case 4 -> { // header length field
                long v = switch (rnd.nextInt(4)) {
                    case 0 -> headerLen + rnd.nextInt(17) - 8;
                    case 1 -> rnd.nextLong();
                    case 2 -> b.length;
                    default -> 1L << rnd.nextInt(64);
                };
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v);
            }
            case 5 -> b = Arrays.copyOf(b, rnd.nextInt(b.length)); // truncate
            case 6 -> b = Arrays.copyOf(b, b.length + 1 + rnd.nextInt(16)); // extend
            default -> { // shorten the header text without fixing anything else
                String h = new String(b, 8, headerEnd - 8, StandardCharsets.UTF_8).stripTrailing();
                b = withHeader(b, headerEnd, h.substring(0, rnd.nextInt(h.length())).getBytes(StandardCharsets.UTF_8));
            }
        }
        return b;
    }

    private static byte[] withHeader(byte[] file, int headerEnd, byte[] header) {
        ByteBuffer out = ByteBuffer.allocate(8 + header.length + file.length - headerEnd).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header).put(file, headerEnd, file.length - headerEnd);
        return out.array();
    }
}

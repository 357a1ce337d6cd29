package dev.plinth.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.tensor.DType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Files Plinth writes, read by llama.cpp's own GGUF parser: both must see the same file. */
class GgufLlamaCppCrossCheckTest {

    static LlamaCppGguf llama;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        llama = new LlamaCppGguf();
    }

    @Test
    void blockSizesMatchGgml() throws Throwable {
        for (DType t : DType.values()) {
            assertEquals(t.blockSize(), llama.ggmlBlockSize(t.ggmlId()), "block size of " + t);
            assertEquals(t.blockBytes(), llama.ggmlTypeSize(t.ggmlId()), "block bytes of " + t);
        }
    }

    @ParameterizedTest
    @CsvSource({"3,32", "2,32", "3,1", "2,2", "3,4", "3,8", "2,16", "3,64", "3,128", "2,512", "3,4096"})
    void llamaCppReadsWhatPlinthWrites(int version, int alignment) throws Throwable {
        for (long seed = 0; seed < 2; seed++) {
            Path p = tmp.resolve("x-" + seed + ".gguf");
            // llama.cpp has no nested arrays
            GgufSamples.sample(seed * 1009 + alignment, new GgufSamples.Options(version, alignment, false, true)).write(p);
            LlamaCppGguf.Parsed ref = llama.read(p);
            assertNotNull(ref, () -> "llama.cpp rejected " + p + ": " + llama.lastLog());
            try (GgufFile f = GgufFile.open(p)) {
                assertAgree(ref, f);
            }
        }
    }

    @Test
    void agreesOnRealFiles() throws Throwable {
        for (String rel : List.of("models/stories260K/stories260K.gguf",
                "models/llama-2-tiny-random/llama-2-tiny-random.gguf",
                "tokenizer-vectors/ggml-vocab-bert-bge.gguf")) {
            Path p = SharedData.require(rel);
            LlamaCppGguf.Parsed ref = llama.read(p);
            assertNotNull(ref, () -> "llama.cpp rejected " + p + ": " + llama.lastLog());
            try (GgufFile f = GgufFile.open(p)) {
                assertAgree(ref, f);
            }
        }
    }

    /**
     * Differential fuzzing: mutated files read by both parsers. Where both accept they must agree
     * on everything; where only one accepts, the reason must be a documented difference.
     */
    @Test
    void mutatedFilesDifferentially() throws Throwable {
        int cases = Integer.getInteger("plinth.fuzz.llamacpp.cases", 500);
        List<byte[]> bases = GgufFuzzTest.bases(tmp);
        List<GgufFieldMap> maps = bases.stream().map(GgufFieldMap::new).toList();
        Path p = tmp.resolve("mutant.gguf");
        int both = 0;
        int neither = 0;
        java.util.Map<String, Integer> onlyPlinth = new java.util.TreeMap<>();
        java.util.Map<String, Integer> onlyLlama = new java.util.TreeMap<>();
        for (int i = 0; i < cases; i++) {
            java.util.Random r = new java.util.Random(977L * i + 5);
            int b = r.nextInt(bases.size());
            GgufFuzzTest.Case c = GgufFuzzTest.mutate(bases.get(b), maps.get(b), r);
            java.nio.file.Files.write(p, c.image());
            llama.lastLog();
            LlamaCppGguf.Parsed ref = llama.read(p);
            String llamaLog = llama.lastLog();
            GgufFile mine = null;
            String plinthError = null;
            try {
                mine = GgufFile.open(p);
            } catch (dev.plinth.io.ModelFormatException e) {
                plinthError = e.getMessage();
            }
            try {
                if (ref != null && mine != null) {
                    both++;
                    assertAgree(ref, mine);
                } else if (ref == null && mine == null) {
                    neither++;
                } else if (mine == null) {
                    String why = plinthOnlyReason(plinthError);
                    assertNotNull(why, "case " + i + " (" + c.how() + "): llama.cpp accepts, Plinth rejects: " + plinthError);
                    onlyLlama.merge(why, 1, Integer::sum);
                } else {
                    String why = llamaOnlyReason(llamaLog);
                    assertNotNull(why, "case " + i + " (" + c.how() + "): Plinth accepts, llama.cpp rejects: " + llamaLog);
                    onlyPlinth.merge(why, 1, Integer::sum);
                }
            } finally {
                if (mine != null) {
                    mine.close();
                }
            }
        }
        System.out.printf("GGUF differential fuzz vs llama.cpp: %d cases: %d both accept (and agree), %d both reject,"
                + " only llama.cpp accepts %s, only Plinth accepts %s%n", cases, both, neither, onlyLlama, onlyPlinth);
        assertTrue(both > 0 && neither > 0);
    }

    /** Why Plinth may reject what llama.cpp (reading metadata only) accepts; null if unexplained. */
    static String plinthOnlyReason(String message) {
        String[][] known = {
            {"not valid UTF-8", "invalid UTF-8 (llama.cpp keeps raw bytes)"},
            {"bool value is", "bool not 0/1 (llama.cpp reads any nonzero as true)"},
            {"run past the end of the file", "tensor data beyond the file (llama.cpp checks only when loading data)"},
            {"past the end of the", "tensor data beyond the file (llama.cpp checks only when loading data)"},
            {"lies beyond the end of the", "tensor data beyond the file (llama.cpp checks only when loading data)"},
            {"cannot fit in a", "tensor larger than the file (llama.cpp checks only when loading data)"},
            {"larger than the 2^30", "alignment above 2^30"},
        };
        for (String[] k : known) {
            if (message.contains(k[0])) {
                return k[1];
            }
        }
        return null;
    }

    /** Why llama.cpp may reject what Plinth accepts; null if unexplained. */
    static String llamaOnlyReason(String log) {
        String[][] known = {
            {"has offset", "tensor data not packed in info order (Plinth accepts any aligned, non-overlapping layout)"},
            {"invalid GGUF type 9", "nested arrays (GGUF allows them; llama.cpp does not)"},
            {"duplicate tensor name", "tensor names equal up to a NUL byte (llama.cpp compares C strings)"},
        };
        for (String[] k : known) {
            if (log.contains(k[0])) {
                return k[1];
            }
        }
        return null;
    }

    /** What a C API returns for a string: everything before the first NUL. */
    static String cString(String s) {
        int nul = s.indexOf('\0');
        return nul < 0 ? s : s.substring(0, nul);
    }

    private static GgufValue cStrings(GgufValue v) {
        if (v.type() == GgufType.STRING) {
            return GgufValue.of(cString(v.asString()));
        }
        if (v.type() == GgufType.ARRAY && v.asArray().elementType() == GgufType.STRING) {
            return GgufValue.ofArray(GgufType.STRING,
                    v.asArray().elements().stream().map(e -> cString((String) e)).toList());
        }
        return v;
    }

    static void assertAgree(LlamaCppGguf.Parsed ref, GgufFile f) {
        assertEquals(ref.version(), f.version(), "version");
        assertEquals(ref.alignment(), f.alignment(), "alignment");
        List<String> keys = List.copyOf(f.metadata().keySet());
        assertEquals(keys.stream().map(GgufLlamaCppCrossCheckTest::cString).toList(), ref.keys(), "keys in order");
        for (int i = 0; i < ref.keys().size(); i++) {
            GgufValue mine = cStrings(f.metadata().get(keys.get(i)));
            assertEquals(ref.values().get(i).type(), mine.type(), "type of " + ref.keys().get(i));
            assertEquals(ref.values().get(i), mine, "value of " + ref.keys().get(i));
        }
        assertEquals(ref.tensors().size(), f.tensorInfos().size(), "tensor count");
        if (!ref.tensors().isEmpty()) {
            assertEquals(ref.dataOffset(), f.dataStart(), "data offset");
        }
        for (int i = 0; i < ref.tensors().size(); i++) {
            LlamaCppGguf.Info want = ref.tensors().get(i);
            GgufFile.TensorInfo got = f.tensorInfos().get(i);
            assertEquals(want.name(), cString(got.name()));
            assertEquals(want.ggmlType(), got.dtype().ggmlId(), "type of " + got.name());
            assertEquals(want.offset(), got.offset(), "offset of " + got.name());
            assertEquals(want.byteSize(), got.byteSize(), "size of " + got.name());
            long[] shape = got.shape();
            long[] ne = {1, 1, 1, 1};
            for (int d = 0; d < shape.length; d++) {
                ne[d] = shape[shape.length - 1 - d];
            }
            assertArrayEquals(want.ne(), ne, "ne of " + got.name());
        }
    }
}

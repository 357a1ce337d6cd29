package dev.plinth.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

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

    static void assertAgree(LlamaCppGguf.Parsed ref, GgufFile f) {
        assertEquals(ref.version(), f.version(), "version");
        assertEquals(ref.alignment(), f.alignment(), "alignment");
        assertEquals(List.copyOf(f.metadata().keySet()), ref.keys(), "keys in order");
        for (int i = 0; i < ref.keys().size(); i++) {
            GgufValue mine = f.metadata().get(ref.keys().get(i));
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
            assertEquals(want.name(), got.name());
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

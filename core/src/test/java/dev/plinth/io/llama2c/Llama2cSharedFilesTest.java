package dev.plinth.io.llama2c;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real stories260K checkpoint and tok512 tokenizer, checked against llama.cpp's GGUF conversion. */
class Llama2cSharedFilesTest {

    @TempDir
    Path tmp;

    @Test
    void readsStories260KHeader() throws Exception {
        try (Llama2cCheckpoint c = Llama2cCheckpoint.open(SharedData.require("models/stories260K/stories260K.bin"))) {
            assertEquals(new Llama2cConfig(64, 172, 5, 8, 4, 512, 512, true), c.config());
            assertEquals(8, c.config().headSize());
            assertEquals(32, c.config().kvDim());
            assertEquals(2 + 5 * 9, c.tensorInfos().size());
            assertNull(c.tensor("output.weight"));
            assertArrayEquals(new long[] {32, 64}, c.tensor("blk.4.attn_k.weight").shape());
            assertArrayEquals(new long[] {64, 172}, c.tensor("blk.0.ffn_down.weight").shape());
            assertArrayEquals(new long[] {512, 4}, c.legacyTensor(Llama2cCheckpoint.FREQ_CIS_REAL).shape());
        }
    }

    @Test
    void everyTensorEqualsLlamaCppsConversionBitForBit() throws Exception {
        Path bin = SharedData.require("models/stories260K/stories260K.bin");
        Path gguf = SharedData.require("models/stories260K/stories260K.gguf");
        try (Llama2cCheckpoint c = Llama2cCheckpoint.open(bin); GgufFile g = GgufFile.open(gguf)) {
            for (Tensor t : c.tensors()) {
                Tensor ref = g.tensor(t.name());
                assertNotNull(ref, t.name());
                assertArrayEquals(ref.shape(), t.shape(), t.name());
                assertArrayEquals(ref.data().toArray(ValueLayout.JAVA_BYTE), t.data().toArray(ValueLayout.JAVA_BYTE), t.name());
            }
            // The converter writes the shared classifier out as a copy of the embedding.
            assertArrayEquals(g.tensor("output.weight").data().toArray(ValueLayout.JAVA_BYTE),
                    c.tensor("token_embd.weight").data().toArray(ValueLayout.JAVA_BYTE));
            assertEquals(c.tensorInfos().size() + 1, g.tensorInfos().size());
        }
    }

    @Test
    void rewritesStories260KByteIdentically() throws Exception {
        Path bin = SharedData.require("models/stories260K/stories260K.bin");
        Path copy = tmp.resolve("copy.bin");
        try (Llama2cCheckpoint c = Llama2cCheckpoint.open(bin)) {
            Map<String, Tensor> all = new HashMap<>();
            c.tensors().forEach(t -> all.put(t.name(), t));
            all.put(Llama2cCheckpoint.FREQ_CIS_REAL, c.legacyTensor(Llama2cCheckpoint.FREQ_CIS_REAL));
            all.put(Llama2cCheckpoint.FREQ_CIS_IMAG, c.legacyTensor(Llama2cCheckpoint.FREQ_CIS_IMAG));
            Llama2cWriter.write(copy, c.config(), all);

            // Without the legacy tables they are recomputed: close to PyTorch's, not necessarily identical.
            Map<String, Tensor> model = new HashMap<>();
            c.tensors().forEach(t -> model.put(t.name(), t));
            Path recomputed = tmp.resolve("recomputed.bin");
            Llama2cWriter.write(recomputed, c.config(), model);
            try (Llama2cCheckpoint r = Llama2cCheckpoint.open(recomputed)) {
                float[] want = c.legacyTensor(Llama2cCheckpoint.FREQ_CIS_IMAG).data().toArray(ValueLayout.JAVA_FLOAT);
                float[] got = r.legacyTensor(Llama2cCheckpoint.FREQ_CIS_IMAG).data().toArray(ValueLayout.JAVA_FLOAT);
                assertArrayEquals(want, got, 1e-4f);
            }
        }
        assertArrayEquals(Files.readAllBytes(bin), Files.readAllBytes(copy));
    }

    @Test
    void readsTok512AndRewritesItByteIdentically() throws Exception {
        Path tok = SharedData.require("models/stories260K/tok512.bin");
        Llama2cVocabulary v = Llama2cVocabulary.read(tok, 512);
        assertEquals(v, Llama2cVocabulary.read(tok));
        assertEquals(7, v.maxTokenLength());
        assertEquals(512, v.size());
        assertEquals(List.of("<unk>", "\n<s>\n", "\n</s>\n", "<0x00>"), v.pieces().subList(0, 4));
        assertEquals("\u200a", v.piece(511));
        assertEquals(-252.0f, v.score(511));
        Path copy = tmp.resolve("tok.bin");
        v.write(copy);
        assertArrayEquals(Files.readAllBytes(tok), Files.readAllBytes(copy));
    }

    @Test
    void scoresMatchLlamaCppsConversion() throws Exception {
        Llama2cVocabulary v = Llama2cVocabulary.read(SharedData.require("models/stories260K/tok512.bin"));
        try (GgufFile g = GgufFile.open(SharedData.require("models/stories260K/stories260K.gguf"))) {
            List<Object> scores = g.getArray("tokenizer.ggml.scores");
            assertEquals(v.size(), scores.size());
            for (int i = 0; i < v.size(); i++) {
                assertEquals(Float.floatToRawIntBits((Float) scores.get(i)), Float.floatToRawIntBits(v.score(i)), "token " + i);
            }
            List<Object> tokens = g.getArray("tokenizer.ggml.tokens");
            assertEquals(v.piece(403).replace(' ', '\u2581'), tokens.get(403));
        }
    }
}

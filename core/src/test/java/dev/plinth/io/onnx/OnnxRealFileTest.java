package dev.plinth.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** all-MiniLM-L6-v2's ONNX export (PyTorch 2.0.1) from langchain4j's Maven artifact. */
class OnnxRealFileTest {
    @TempDir
    Path tmp;

    Path model() throws Exception {
        Path out = tmp.resolve("all-minilm-l6-v2.onnx");
        try (InputStream in = OnnxRealFileTest.class.getResourceAsStream("/all-minilm-l6-v2.onnx")) {
            assertTrue(in != null, "all-minilm-l6-v2.onnx not on the test classpath");
            Files.copy(in, out);
        }
        return out;
    }

    @Test
    void readsTheExport() throws Exception {
        try (OnnxModel m = OnnxModel.open(model())) {
            assertEquals("pytorch", m.producer());
            assertEquals(102, m.initializers().size());
            Tensor word = m.initializer("embeddings.word_embeddings.weight");
            assertEquals(DType.F32, word.dtype());
            assertEquals(30522, word.dim(0));
            assertEquals(384, word.dim(1));
            assertTrue(word.data().isMapped(), "raw_data is a slice of the mapping");
            assertEquals(DType.I64, m.initializer("embeddings.position_ids").dtype());
            long matmuls = m.initializers().keySet().stream().filter(n -> n.startsWith("onnx::MatMul_")).count();
            assertEquals(36, matmuls);
            assertEquals(48, m.nodes().stream().filter(n -> n.opType().equals("MatMul")).count());
            assertEquals(java.util.List.of("input_ids", "attention_mask", "token_type_ids"), m.graphInputs());
            assertEquals(java.util.List.of("last_hidden_state"), m.graphOutputs());
        }
    }

    /** Cut anywhere, the file is rejected with a ModelFormatException (never an index or memory error). */
    @Test
    void truncatedCopiesAreRejected() throws Exception {
        Path file = model();
        try (OnnxModel whole = OnnxModel.open(file)) {
            MemorySegment seg = whole.initializer("embeddings.word_embeddings.weight").data();
            assertTrue(seg.byteSize() > 0);
        }
        byte[] bytes = Files.readAllBytes(file);
        MemorySegment all = MemorySegment.ofArray(bytes);
        Random rnd = new Random(7);
        for (int i = 0; i < 40; i++) {
            long cut = i < 20 ? rnd.nextInt(4096) : (long) (rnd.nextDouble() * bytes.length);
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> OnnxModel.parse(file, all.asSlice(0, cut)), "cut at " + cut);
            assertTrue(e.offset() >= 0 && e.offset() <= cut, e.getMessage());
        }
    }
}

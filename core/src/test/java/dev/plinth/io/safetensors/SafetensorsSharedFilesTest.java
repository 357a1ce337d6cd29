package dev.plinth.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.plinth.SharedData;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads the real Hugging Face files and rewrites them byte for byte. */
class SafetensorsSharedFilesTest {

    @TempDir
    Path tmp;

    @Test
    void readsFakeGpt2() throws Exception {
        Path p = SharedData.require("models/fake-gpt2/model.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertEquals(16, f.tensorInfos().size());
            Tensor wte = f.tensor("transformer.wte.weight");
            assertEquals(DType.F32, wte.dtype());
            assertArrayEquals(new long[] {50257, 2}, wte.shape());
            assertEquals(8 + f.headerLength() + 8504, f.tensorInfo("transformer.wte.weight").fileOffset());
            // Conv1D keeps [in, out]: c_attn maps 2 features to 3*2.
            assertArrayEquals(new long[] {2, 6}, f.tensor("transformer.h.0.attn.c_attn.weight").shape());
            assertNull(f.tensor("lm_head.weight"));
            long params = f.tensorInfos().stream().mapToLong(SafetensorsModel.TensorInfo::elementCount).sum();
            assertEquals((Files.size(p) - 8 - f.headerLength()) / 4, params);
        }
    }

    @Test
    void rewritesFakeGpt2ByteIdentically() throws Exception {
        rewriteByteIdentically(SharedData.require("models/fake-gpt2/model.safetensors"));
    }

    @Test
    void rewritesBertTiniestByteIdentically() throws Exception {
        rewriteByteIdentically(SharedData.require("models/bert-tiniest/model.safetensors"));
    }

    @Test
    void shardsAndReassemblesBert() throws Exception {
        Path p = SharedData.require("models/bert-tiniest/model.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            List<Path> written = SafetensorsWriter.writeSharded(tmp, f.tensors(), f.metadata(), 200_000);
            assertEquals(SafetensorsModel.INDEX_FILE, written.getLast().getFileName().toString());
            try (SafetensorsModel m = SafetensorsModel.open(tmp)) {
                assertEquals(ShardedSafetensors.class, m.getClass());
                assertEquals(f.tensorInfos().size(), m.tensorInfos().size());
                for (var info : f.tensorInfos()) {
                    Tensor a = f.tensor(info.name());
                    Tensor b = m.tensor(info.name());
                    assertArrayEquals(a.shape(), b.shape());
                    assertArrayEquals(a.data().toArray(ValueLayout.JAVA_BYTE), b.data().toArray(ValueLayout.JAVA_BYTE),
                            info.name());
                }
            }
        }
    }

    private void rewriteByteIdentically(Path original) throws Exception {
        Path copy = tmp.resolve("copy.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(original)) {
            // Feed them in reverse to show the writer does its own (Hugging Face's) ordering.
            SafetensorsWriter.write(copy, f.tensors().reversed(), f.metadata());
        }
        assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(copy));
    }
}

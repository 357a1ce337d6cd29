package dev.plinth.io.llama2c;

import dev.plinth.io.AtomicFiles;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Writes llama2.c legacy checkpoints, atomically (temp file, fsync, rename). Tensors are given by
 * the names {@link Llama2cCheckpoint} reads; a checkpoint's own tensors plus its
 * {@link Llama2cCheckpoint#legacyTensor legacy RoPE tables} rewrite it byte for byte.
 */
public final class Llama2cWriter {

    private Llama2cWriter() {
    }

    /**
     * Writes a checkpoint with header {@code config}. {@code tensors} must hold every model
     * tensor as F32 with the row-major shape {@link Llama2cCheckpoint} gives it; when it lacks
     * {@code freq_cis_real}/{@code freq_cis_imag}, they are computed (RoPE base 10000) in float
     * arithmetic like llama2.c's export, which may differ from PyTorch's in the last bit.
     */
    public static void write(Path target, Llama2cConfig config, Map<String, Tensor> tensors) throws IOException {
        var slots = Llama2cLayout.slots(config);
        MemorySegment[] data = new MemorySegment[slots.size()];
        for (int i = 0; i < data.length; i++) {
            Llama2cLayout.Slot s = slots.get(i);
            Tensor t = tensors.get(s.name());
            if (t == null && s.legacy()) {
                t = Tensor.ofFloats(s.name(), ropeTable(config, s.name().equals(Llama2cCheckpoint.FREQ_CIS_REAL)),
                        s.shape());
            }
            if (t == null) {
                throw new IllegalArgumentException("missing tensor '" + s.name() + "'");
            }
            if (t.dtype() != DType.F32 || !Arrays.equals(t.shape(), s.shape()) || t.data().byteSize() != s.byteSize()) {
                throw new IllegalArgumentException("tensor '" + s.name() + "' is " + t + " with " + t.data().byteSize()
                        + " bytes; llama2.c needs F32 " + Arrays.toString(s.shape()));
            }
            data[i] = t.data();
        }
        AtomicFiles.write(target, ch -> {
            ByteBuffer header = ByteBuffer.allocate(Llama2cLayout.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(config.dim()).putInt(config.hiddenDim()).putInt(config.nLayers()).putInt(config.nHeads())
                    .putInt(config.nKvHeads()).putInt(config.storedVocabSize()).putInt(config.seqLen()).flip();
            AtomicFiles.writeFully(ch, header);
            ByteBuffer scratch = AtomicFiles.newScratch();
            for (MemorySegment seg : data) {
                AtomicFiles.writeSegment(ch, seg, scratch);
            }
        });
    }

    /** cos (real) or sin (imaginary) of position times 10000^(-2i/head_size), [seq_len, head_size/2]. */
    static float[] ropeTable(Llama2cConfig c, boolean real) {
        int half = c.headSize() / 2;
        float[] out = new float[Math.multiplyExact(c.seqLen(), half)];
        for (int i = 0; i < half; i++) {
            float freq = 1.0f / (float) Math.pow(10000.0, (float) (2 * i) / c.headSize());
            for (int pos = 0; pos < c.seqLen(); pos++) {
                float angle = pos * freq;
                out[pos * half + i] = (float) (real ? Math.cos(angle) : Math.sin(angle));
            }
        }
        return out;
    }
}

package dev.plinth.model.lora;

import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;

/** Checks and decodes the tensors of an adapter file, whichever kind: every refusal names the file and the tensor. */
final class AdapterTensors {

    private AdapterTensors() {
    }

    /**
     * {@code t} as a heap F32 matrix named {@code name}, decoded from any dtype {@link Quantization}
     * reads (F16, BF16, Q8_0, ...); refused when it is not a non-empty matrix of such a dtype that
     * fits a Java array.
     */
    static Tensor matrix(Path file, String name, Tensor t) throws ModelFormatException {
        if (t.rank() != 2 || t.dim(0) <= 0 || t.dim(1) <= 0) {
            throw refuse(file, t.name(), "is " + Arrays.toString(t.shape()) + ", not a matrix");
        }
        if (!Quantization.supports(t.dtype())) {
            throw refuse(file, t.name(), "has dtype " + t.dtype() + ", which Plinth cannot decode to F32");
        }
        try {
            Tensor f32 = Quantization.toF32(t);
            return new Tensor(name, f32.dtype(), f32.shape(), f32.data());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw refuse(file, t.name(), e.getMessage());
        }
    }

    /** The pair {@code a [r, in]}, {@code b [out, r]} of {@code weight}, refused when the two ranks differ. */
    static LoraAdapter.Pair pair(Path file, String weight, Tensor a, Tensor b, float alpha) throws ModelFormatException {
        if (a.dim(0) != b.dim(1)) {
            throw refuse(file, weight, "rank mismatch: " + a.name() + " " + Arrays.toString(a.shape()) + " has "
                    + a.dim(0) + " rows but " + b.name() + " " + Arrays.toString(b.shape()) + " has " + b.dim(1)
                    + " columns");
        }
        if (!Float.isFinite(alpha)) {
            throw refuse(file, weight, "alpha " + alpha + " is not a finite number");
        }
        return new LoraAdapter.Pair(a, b, alpha);
    }

    /** {@code t} (F32, any backing) over a float array of its own: what the kernels read fastest. */
    static Tensor floats(Tensor t) {
        if (t.data().heapBase().orElse(null) instanceof float[]) {
            return t;
        }
        return Tensor.ofFloats(t.name(), t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED), t.shape());
    }

    static ModelFormatException refuse(Path file, String tensor, String problem) {
        return new ModelFormatException(file, tensor, -1, problem);
    }
}

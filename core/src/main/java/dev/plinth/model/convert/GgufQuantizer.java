package dev.plinth.model.convert;

import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.gguf.GgufWriter;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Re-types the tensors of a GGUF model as llama.cpp's {@code llama-quantize} does (see
 * {@link TypeRules}): same tensor order, same metadata with {@code general.quantization_version}
 * and {@code general.file_type} set last, same bytes (Plinth's quantizers are bit-exact with
 * ggml's reference ones, which llama-quantize runs without an importance matrix).
 */
public final class GgufQuantizer {
    /** ggml's GGML_QNT_VERSION. */
    static final int QUANTIZATION_VERSION = 2;

    /** Told about each tensor before it is converted. */
    @FunctionalInterface
    public interface Listener {
        void tensor(int index, int count, String name, DType from, DType to);

        Listener NONE = (i, n, name, from, to) -> { };
    }

    private GgufQuantizer() {
    }

    /**
     * A model about to be written as GGUF: version, metadata in order, tensors (under GGUF names)
     * with their current types, and where to read each one when it is written.
     */
    record Model(int version, Map<String, GgufValue> metadata, List<TypeRules.Source> tensors,
                 Function<String, Tensor> reader) {
        static Model of(GgufFile g) {
            List<TypeRules.Source> sources = new ArrayList<>();
            for (GgufFile.TensorInfo t : g.tensorInfos()) {
                sources.add(new TypeRules.Source(t.name(), t.dtype(), t.shape()));
            }
            return new Model(g.version(), g.metadata(), sources, g::tensor);
        }

        /** This model with every tensor passed through {@code transform} as it is read. */
        Model map(UnaryOperator<Tensor> transform) {
            return new Model(version, metadata, tensors, reader.andThen(transform));
        }

        int layers() {
            Object arch = metadata.get("general.architecture") == null ? null
                    : metadata.get("general.architecture").value();
            GgufValue n = metadata.get(arch + ".block_count");
            return n == null ? 0 : (int) n.asLong();
        }
    }

    /** The type each tensor of {@code in} gets under {@code target}, in the order they are written. */
    public static Map<String, DType> plan(GgufFile in, QuantType target) {
        Model m = Model.of(in);
        return TypeRules.plan(m.tensors(), target, m.layers());
    }

    /** Quantizes the GGUF file {@code in} to {@code out} (written atomically). */
    public static void quantize(Path in, Path out, QuantType target, Listener listener) throws IOException {
        try (GgufFile g = GgufFile.open(in)) {
            quantize(g, out, target, listener);
        }
    }

    /** Quantizes an open GGUF file to {@code out} (written atomically). */
    public static void quantize(GgufFile in, Path out, QuantType target, Listener listener) throws IOException {
        write(Model.of(in), out, target, listener);
    }

    /** {@link #quantize(Path, Path, QuantType, Listener)} with every tensor passed through {@code transform} first. */
    static void quantize(Path in, Path out, QuantType target, UnaryOperator<Tensor> transform, Listener listener)
            throws IOException {
        try (GgufFile g = GgufFile.open(in)) {
            write(Model.of(g).map(transform), out, target, listener);
        }
    }

    /**
     * Writes {@code tensors} (llama.cpp names, any dtype {@link Quantization} reads) with
     * {@code metadata} as a GGUF file (atomically), each tensor typed for {@code target} as
     * llama-quantize would type it, in llama.cpp's order; {@code general.architecture} and
     * {@code <arch>.block_count} in the metadata say which tensors are blocks.
     */
    public static void write(Map<String, GgufValue> metadata, List<Tensor> tensors, Path out, QuantType target,
                             Listener listener) throws IOException {
        Map<String, Tensor> byName = new LinkedHashMap<>();
        List<TypeRules.Source> sources = new ArrayList<>();
        for (Tensor t : tensors) {
            if (byName.putIfAbsent(t.name(), t) != null) {
                throw new IllegalArgumentException("tensor " + t.name() + " is given twice");
            }
            sources.add(new TypeRules.Source(t.name(), t.dtype(), t.shape()));
        }
        write(new Model(3, metadata, sources, byName::get), out, target, listener);
    }

    static void write(Model in, Path out, QuantType target, Listener listener) throws IOException {
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        in.metadata().forEach((k, v) -> {
            if (!k.equals("general.quantization_version") && !k.equals("general.file_type") && !k.startsWith("split.")) {
                metadata.put(k, v);
            }
        });
        metadata.put("general.quantization_version", GgufValue.ofUint32(QUANTIZATION_VERSION));
        metadata.put("general.file_type", GgufValue.ofUint32(target.llamaFtype()));
        Map<String, DType> plan = TypeRules.plan(in.tensors(), target, in.layers());
        write(new Model(in.version(), metadata, in.tensors(), in.reader()), plan, out, listener);
    }

    /**
     * Writes {@code in}'s metadata as it is and the tensors of {@code plan}, in its order, each
     * converted to its planned type (atomically, one tensor in memory at a time).
     */
    static void write(Model in, Map<String, DType> plan, Path out, Listener listener) throws IOException {
        GgufWriter w = new GgufWriter().version(in.version());
        in.metadata().forEach(w::put);
        try (ScratchFile scratch = new ScratchFile(out)) {
            int i = 0;
            for (Map.Entry<String, DType> e : plan.entrySet()) {
                Tensor t = in.reader().apply(e.getKey());
                listener.tensor(i++, plan.size(), t.name(), t.dtype(), e.getValue());
                scratch.add(convert(t, e.getValue()));
            }
            scratch.tensors().forEach(w::add);
            w.write(out);
        }
    }

    /** {@code t} as {@code type} (itself when already so). */
    static Tensor convert(Tensor t, DType type) {
        if (t.dtype() == type) {
            return t;
        }
        Tensor f32 = t.dtype() == DType.F32 ? t : Quantization.toF32(t);
        return type == DType.F32 ? f32 : Quantization.quantize(f32, type);
    }

}

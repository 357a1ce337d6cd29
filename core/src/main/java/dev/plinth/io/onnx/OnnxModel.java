package dev.plinth.io.onnx;

import dev.plinth.io.MappedFiles;
import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights and the graph outline of an ONNX model file ({@code ModelProto}), read with our own
 * protobuf wire-format reader. Initializers become {@link Tensor}s; those stored as
 * {@code raw_data} or packed {@code float_data} are slices of the memory-mapped file (no copy),
 * the rest (varint-coded {@code int32_data}/{@code int64_data}) are decoded onto the heap. Nodes
 * keep their op type, inputs, outputs and scalar or tensor attributes, enough to tell which
 * generically named initializer ({@code onnx::MatMul_787}) is which weight. Tensors stored in
 * external files are not supported. Close to unmap.
 */
public final class OnnxModel implements AutoCloseable {
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One graph node. */
    public record Node(String name, String opType, List<String> inputs, List<String> outputs,
                       Map<String, Attribute> attributes) {
        public Node {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
            attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
        }
    }

    /**
     * A node attribute: {@code type} is ONNX's AttributeType (1 float, 2 int, 3 string, 4 tensor);
     * the matching one of {@code f}, {@code i}, {@code s}, {@code t} holds the value (list-valued
     * and graph-valued attributes are kept with their type only).
     */
    public record Attribute(String name, int type, float f, long i, String s, Tensor t) {
    }

    private final Path file;
    private final Arena arena;
    private final long irVersion;
    private final String producer;
    private final Map<String, Tensor> initializers;
    private final List<Node> nodes;
    private final List<String> inputs;
    private final List<String> outputs;

    private OnnxModel(Path file, Arena arena, OnnxParser.Parsed p) {
        this.file = file;
        this.arena = arena;
        this.irVersion = p.irVersion();
        this.producer = p.producer();
        this.initializers = Collections.unmodifiableMap(p.initializers());
        this.nodes = List.copyOf(p.nodes());
        this.inputs = List.copyOf(p.inputs());
        this.outputs = List.copyOf(p.outputs());
    }

    /** Maps and parses {@code path}; a malformed file gives a {@link ModelFormatException}. */
    public static OnnxModel open(Path path) throws IOException {
        return MappedFiles.open(path, (arena, seg) -> new OnnxModel(path, arena, new OnnxParser(path, seg).parse()));
    }

    /** Parses a model held in {@code bytes} ({@code label} names it in error messages; may be null). */
    public static OnnxModel parse(Path label, MemorySegment bytes) throws ModelFormatException {
        return new OnnxModel(label, null, new OnnxParser(label, bytes).parse());
    }

    public Path file() {
        return file;
    }

    public long irVersion() {
        return irVersion;
    }

    /** {@code producer_name}, e.g. "pytorch", or "" when absent. */
    public String producer() {
        return producer;
    }

    /** The graph's initializers of supported element types, in file order. */
    public Map<String, Tensor> initializers() {
        return initializers;
    }

    /** The initializer called {@code name}, or null. */
    public Tensor initializer(String name) {
        return initializers.get(name);
    }

    /** Nodes in graph order. */
    public List<Node> nodes() {
        return nodes;
    }

    /** Names of the graph's inputs (initializers may be listed too in older files). */
    public List<String> graphInputs() {
        return inputs;
    }

    public List<String> graphOutputs() {
        return outputs;
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}

package dev.plinth.io.onnx;

import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Walks ModelProto → GraphProto → NodeProto / TensorProto / ValueInfoProto (onnx.proto field numbers). */
final class OnnxParser {
    /** Bounds on what a file may make us hold, so a hostile file cannot exhaust the heap. */
    static final int MAX_ITEMS = 4_000_000;
    static final int MAX_RANK = 32;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    record Parsed(long irVersion, String producer, Map<String, Tensor> initializers, List<OnnxModel.Node> nodes,
                  List<String> inputs, List<String> outputs) {
    }

    private final Path file;
    private final MemorySegment seg;
    private int items;

    private long irVersion;
    private String producer = "";
    private final Map<String, Tensor> initializers = new LinkedHashMap<>();
    private final Map<String, Integer> unsupported = new LinkedHashMap<>();
    private final List<OnnxModel.Node> nodes = new ArrayList<>();
    private final List<String> inputs = new ArrayList<>();
    private final List<String> outputs = new ArrayList<>();

    OnnxParser(Path file, MemorySegment seg) {
        this.file = file;
        this.seg = seg;
    }

    Parsed parse() throws ModelFormatException {
        ProtoReader r = new ProtoReader(file, seg, 0, seg.byteSize());
        boolean sawGraph = false;
        while (r.hasMore()) {
            long tag = r.readTag("ModelProto");
            switch ((int) (tag >>> 3)) {
                case 1 -> {
                    r.expectWire(tag, ProtoReader.VARINT, "ModelProto.ir_version");
                    irVersion = r.readVarint("ModelProto.ir_version");
                }
                case 2 -> {
                    r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, "ModelProto.producer_name");
                    producer = r.readString("ModelProto.producer_name");
                }
                case 7 -> {
                    r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, "ModelProto.graph");
                    graph(r.readMessage("ModelProto.graph"));
                    sawGraph = true;
                }
                default -> r.skip(tag, "ModelProto");
            }
        }
        if (!sawGraph) {
            throw r.error("ModelProto.graph", 0, "no graph: not an ONNX model");
        }
        return new Parsed(irVersion, producer, initializers, nodes, inputs, outputs);
    }

    private void graph(ProtoReader r) throws ModelFormatException {
        while (r.hasMore()) {
            long tag = r.readTag("GraphProto");
            int field = (int) (tag >>> 3);
            switch (field) {
                case 1 -> {
                    r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, "GraphProto.node");
                    count(r, "GraphProto.node");
                    nodes.add(node(r.readMessage("GraphProto.node")));
                }
                case 5 -> {
                    r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, "GraphProto.initializer");
                    count(r, "GraphProto.initializer");
                    long at = r.position();
                    TensorProto t = tensor(r.readMessage("GraphProto.initializer"), "GraphProto.initializer");
                    if (initializers.containsKey(t.name) || unsupported.containsKey(t.name)) {
                        throw r.error("GraphProto.initializer", at, "duplicate initializer name '" + t.name + "'");
                    }
                    if (t.tensor == null) {
                        unsupported.put(t.name, t.onnxType);
                    } else {
                        initializers.put(t.name, t.tensor);
                    }
                }
                case 11, 12 -> {
                    String what = field == 11 ? "GraphProto.input" : "GraphProto.output";
                    r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, what);
                    count(r, what);
                    (field == 11 ? inputs : outputs).add(valueInfoName(r.readMessage(what)));
                }
                default -> r.skip(tag, "GraphProto");
            }
        }
    }

    private String valueInfoName(ProtoReader r) throws ModelFormatException {
        String name = "";
        while (r.hasMore()) {
            long tag = r.readTag("ValueInfoProto");
            if (tag >>> 3 == 1) {
                r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, "ValueInfoProto.name");
                name = r.readString("ValueInfoProto.name");
            } else {
                r.skip(tag, "ValueInfoProto");
            }
        }
        return name;
    }

    private OnnxModel.Node node(ProtoReader r) throws ModelFormatException {
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        Map<String, OnnxModel.Attribute> attrs = new LinkedHashMap<>();
        String name = "";
        String op = "";
        while (r.hasMore()) {
            long tag = r.readTag("NodeProto");
            int field = (int) (tag >>> 3);
            switch (field) {
                case 1, 2 -> {
                    String what = field == 1 ? "NodeProto.input" : "NodeProto.output";
                    r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, what);
                    count(r, what);
                    (field == 1 ? in : out).add(r.readString(what));
                }
                case 3 -> {
                    r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, "NodeProto.name");
                    name = r.readString("NodeProto.name");
                }
                case 4 -> {
                    r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, "NodeProto.op_type");
                    op = r.readString("NodeProto.op_type");
                }
                case 5 -> {
                    r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, "NodeProto.attribute");
                    count(r, "NodeProto.attribute");
                    OnnxModel.Attribute a = attribute(r.readMessage("NodeProto.attribute"), name);
                    attrs.put(a.name(), a);
                }
                default -> r.skip(tag, "NodeProto");
            }
        }
        return new OnnxModel.Node(name, op, in, out, attrs);
    }

    private OnnxModel.Attribute attribute(ProtoReader r, String nodeName) throws ModelFormatException {
        String name = "";
        int type = 0;
        float f = 0;
        long i = 0;
        String s = null;
        Tensor t = null;
        while (r.hasMore()) {
            long tag = r.readTag("AttributeProto");
            switch ((int) (tag >>> 3)) {
                case 1 -> {
                    r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, "AttributeProto.name");
                    name = r.readString("AttributeProto.name");
                }
                case 2 -> {
                    r.expectWire(tag, ProtoReader.FIXED32, "AttributeProto.f");
                    f = r.readFixed32Float("AttributeProto.f");
                }
                case 3 -> {
                    r.expectWire(tag, ProtoReader.VARINT, "AttributeProto.i");
                    i = r.readVarint("AttributeProto.i");
                }
                case 4 -> {
                    r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, "AttributeProto.s");
                    s = r.readString("AttributeProto.s");
                }
                case 5 -> {
                    r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, "AttributeProto.t");
                    TensorProto tp = tensor(r.readMessage("AttributeProto.t"), "AttributeProto.t");
                    t = tp.tensor;
                }
                case 20 -> {
                    r.expectWire(tag, ProtoReader.VARINT, "AttributeProto.type");
                    type = r.readInt("AttributeProto.type");
                }
                default -> r.skip(tag, "AttributeProto");
            }
        }
        if (t != null && t.name().isEmpty()) {
            t = new Tensor(nodeName + "." + name, t.dtype(), t.shape(), t.data());
        }
        return new OnnxModel.Attribute(name, type, f, i, s, t);
    }

    /** A parsed TensorProto; {@code tensor} is null when the element type has no DType. */
    private record TensorProto(String name, int onnxType, Tensor tensor) {
    }

    private TensorProto tensor(ProtoReader r, String what) throws ModelFormatException {
        long start = r.position();
        LongList dims = new LongList();
        int type = 0;
        String name = "";
        long[] raw = null;
        long[] packedFloats = null;
        FloatList floats = new FloatList();
        LongList ints = new LongList();
        List<long[]> doubleRuns = new ArrayList<>();
        boolean external = false;
        while (r.hasMore()) {
            long tag = r.readTag("TensorProto");
            int wire = (int) (tag & 7);
            switch ((int) (tag >>> 3)) {
                case 1 -> varints(r, wire, dims, "TensorProto.dims", MAX_RANK);
                case 2 -> {
                    r.expectWire(tag, ProtoReader.VARINT, "TensorProto.data_type");
                    type = r.readInt("TensorProto.data_type");
                }
                case 4 -> {
                    // A single packed run stays a zero-copy slice; anything else is gathered in order.
                    if (packedFloats != null) {
                        floats.addAll(floatsOf(packedFloats));
                        packedFloats = null;
                    }
                    if (wire == ProtoReader.LENGTH_DELIMITED) {
                        long[] b = r.readBounds("TensorProto.float_data");
                        if ((b[1] - b[0]) % 4 != 0) {
                            throw r.error("TensorProto.float_data", b[0], "packed length " + (b[1] - b[0])
                                    + " is not a multiple of 4");
                        }
                        if (floats.size == 0) {
                            packedFloats = b;
                        } else {
                            floats.addAll(floatsOf(b));
                        }
                    } else {
                        r.expectWire(tag, ProtoReader.FIXED32, "TensorProto.float_data");
                        floats.add(r.readFixed32Float("TensorProto.float_data"));
                    }
                }
                case 5, 7 -> varints(r, wire, ints, tag >>> 3 == 5 ? "TensorProto.int32_data" : "TensorProto.int64_data",
                        Integer.MAX_VALUE);
                case 8 -> {
                    r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, "TensorProto.name");
                    name = r.readString("TensorProto.name");
                }
                case 9 -> {
                    r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, "TensorProto.raw_data");
                    raw = r.readBounds("TensorProto.raw_data");
                }
                case 10 -> {
                    r.expectWire(tag, ProtoReader.LENGTH_DELIMITED, "TensorProto.double_data");
                    doubleRuns.add(r.readBounds("TensorProto.double_data"));
                }
                case 13 -> {
                    external = true;
                    r.skip(tag, "TensorProto");
                }
                case 14 -> {
                    r.expectWire(tag, ProtoReader.VARINT, "TensorProto.data_location");
                    external |= r.readVarint("TensorProto.data_location") == 1;
                }
                default -> r.skip(tag, "TensorProto");
            }
        }
        String field = what + " '" + name + "'";
        if (external) {
            throw r.error(field, start, "data stored in an external file, which is not supported");
        }
        long[] shape = dims.toArray();
        long count = elementCount(r, shape, field, start);
        DType dtype = dtype(type);
        if (dtype == null) {
            if (type <= 0 || type > 23) {
                throw r.error(field + " data_type", start, "unknown ONNX element type " + type);
            }
            return new TensorProto(name, type, null);
        }
        long bytes = checkedBytes(r, dtype, count, field, start);
        MemorySegment data;
        if (raw != null) {
            if (raw[1] - raw[0] != bytes) {
                throw r.error(field + " raw_data", raw[0], "holds " + (raw[1] - raw[0]) + " bytes, shape "
                        + Arrays.toString(shape) + " of " + dtype + " needs " + bytes);
            }
            data = seg.asSlice(raw[0], bytes);
        } else if (dtype == DType.F32) {
            if (packedFloats != null) {
                data = slice(r, packedFloats, bytes, field, count);
            } else {
                checkCount(r, field + " float_data", start, floats.size, count);
                data = MemorySegment.ofArray(floats.toArray());
            }
        } else if (dtype == DType.F64) {
            long total = 0;
            for (long[] b : doubleRuns) {
                total += b[1] - b[0];
            }
            checkCount(r, field + " double_data", start, total / 8, count);
            double[] values = new double[(int) count];
            int k = 0;
            for (long[] b : doubleRuns) {
                for (long p = b[0]; p + 8 <= b[1]; p += 8) {
                    values[k++] = seg.get(DOUBLE, p);
                }
            }
            data = MemorySegment.ofArray(values);
        } else {
            checkCount(r, field + (dtype == DType.I64 ? " int64_data" : " int32_data"), start, ints.size, count);
            data = narrow(ints, dtype, (int) count);
        }
        return new TensorProto(name, type, new Tensor(name, dtype, shape, data));
    }

    private float[] floatsOf(long[] b) {
        float[] v = new float[(int) ((b[1] - b[0]) / 4)];
        for (int i = 0; i < v.length; i++) {
            v[i] = seg.get(OnnxModel.FLOAT, b[0] + 4L * i);
        }
        return v;
    }

    private MemorySegment slice(ProtoReader r, long[] b, long bytes, String field, long count)
            throws ModelFormatException {
        if (b[1] - b[0] != bytes) {
            throw r.error(field + " float_data", b[0], "holds " + (b[1] - b[0]) / 4 + " floats, shape needs " + count);
        }
        return seg.asSlice(b[0], bytes);
    }

    /** int32_data carries FLOAT16/BFLOAT16 bit patterns and small integers one per varint. */
    private static MemorySegment narrow(LongList ints, DType dtype, int count) {
        return switch (dtype) {
            case I64 -> MemorySegment.ofArray(Arrays.copyOf(ints.values, count));
            case I32 -> {
                int[] v = new int[count];
                for (int i = 0; i < count; i++) {
                    v[i] = (int) ints.values[i];
                }
                yield MemorySegment.ofArray(v);
            }
            case F16, BF16, I16 -> {
                short[] v = new short[count];
                for (int i = 0; i < count; i++) {
                    v[i] = (short) ints.values[i];
                }
                yield MemorySegment.ofArray(v);
            }
            default -> {
                byte[] v = new byte[count];
                for (int i = 0; i < count; i++) {
                    v[i] = (byte) ints.values[i];
                }
                yield MemorySegment.ofArray(v);
            }
        };
    }

    private static void checkCount(ProtoReader r, String field, long at, long have, long need) throws ModelFormatException {
        if (have != need) {
            throw r.error(field, at, "holds " + have + " values, the shape needs " + need);
        }
    }

    private long elementCount(ProtoReader r, long[] shape, String field, long at) throws ModelFormatException {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw r.error(field + " dims", at, "negative dimension " + d + " in " + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw r.error(field + " dims", at, "dimensions " + Arrays.toString(shape) + " overflow 64 bits");
            }
        }
        return n;
    }

    private long checkedBytes(ProtoReader r, DType dtype, long count, String field, long at) throws ModelFormatException {
        // No tensor can hold more bytes than the file; anything beyond is an absurd shape.
        if (count > seg.byteSize() || count > Integer.MAX_VALUE - 8) {
            throw r.error(field + " dims", at, count + " elements cannot be stored in a " + seg.byteSize() + "-byte file");
        }
        return dtype.byteSize(count);
    }

    /** Reads a repeated integer field, packed (wire type 2) or one value per tag. */
    private void varints(ProtoReader r, int wire, LongList into, String field, int max) throws ModelFormatException {
        if (wire == ProtoReader.LENGTH_DELIMITED) {
            ProtoReader packed = r.readMessage(field);
            while (packed.hasMore()) {
                addBounded(packed, into, field, max);
            }
        } else if (wire == ProtoReader.VARINT) {
            addBounded(r, into, field, max);
        } else {
            throw r.error(field, r.position(), "wire type " + wire + " for a repeated integer");
        }
    }

    private static void addBounded(ProtoReader r, LongList into, String field, int max) throws ModelFormatException {
        long at = r.position();
        if (into.size >= max) {
            throw r.error(field, at, "more than " + max + " values");
        }
        into.add(r.readVarint(field));
    }

    private void count(ProtoReader r, String field) throws ModelFormatException {
        if (++items > MAX_ITEMS) {
            throw r.error(field, r.position(), "more than " + MAX_ITEMS + " nodes, initializers and names");
        }
    }

    /** ONNX TensorProto.DataType to our element types; null for those without one (bool, uint, string...). */
    static DType dtype(int onnxType) {
        return switch (onnxType) {
            case 1 -> DType.F32;
            case 3 -> DType.I8;
            case 5 -> DType.I16;
            case 6 -> DType.I32;
            case 7 -> DType.I64;
            case 10 -> DType.F16;
            case 11 -> DType.F64;
            case 16 -> DType.BF16;
            default -> null;
        };
    }

    /** Growable arrays: element counts are bounded by the bytes that encode them, never by a declared size. */
    private static final class LongList {
        long[] values = new long[4];
        int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }

    private static final class FloatList {
        float[] values = new float[4];
        int size;

        void add(float v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        void addAll(float[] v) {
            for (float f : v) {
                add(f);
            }
        }

        float[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}

package dev.plinth.bench;

import dev.plinth.tensor.DType;
import dev.plinth.tensor.MatMul;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Plinth's single-thread matvec against llama.cpp's own CPU kernels on the same weights, in the
 * same run: {@code impl=llama.cpp} quantizes x to the kernel's activation type with ggml's
 * {@code from_float} (as llama.cpp does once per product) and calls ggml's {@code vec_dot} for
 * each row through java.lang.foreign (one downcall per row, a few percent of the time).
 *
 * <p>Needs node-llama-cpp's prebuilt libraries (see {@code .ci/install-references}); the folder is
 * {@code -Dplinth.llamacpp.lib} (default: .reference/... relative to the working directory). The CPU
 * variant is the one llama.cpp itself loads on this machine (the {@code libggml-cpu-*.so} with the
 * highest {@code ggml_backend_score}), printed at setup; {@code -Dplinth.llamacpp.cpu=haswell}
 * forces one (e.g. AVX2 + FMA, paired with {@code -XX:UseAVX=2} for Plinth on an AVX-512 machine).
 * Counters as in {@link MatVecBench}.
 * Run with {@code -jvmArgsAppend "-Dplinth.threads=1 --enable-native-access=ALL-UNNAMED"}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class LlamaCppCompareBench {
    @Param({"F16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    @Param({"plinth", "llama.cpp"})
    public String impl;

    @Param({"2048x2048"})
    public String shape;

    private Arena arena;
    private Tensor w;
    private float[] x;
    private float[] y;
    private int rows;
    private int cols;
    private long rowBytes;
    private MemorySegment xNative;
    private MemorySegment xq;
    private MemorySegment result;
    private MethodHandle fromFloat;
    private MethodHandle vecDot;

    @Setup
    public void setup() {
        int[] s = Weights.shape(shape);
        rows = s[0];
        cols = s[1];
        arena = Arena.ofShared();
        DType dtype = DType.valueOf(type);
        w = Weights.matrix(dtype, rows, cols, arena);
        rowBytes = dtype.byteSize(cols);
        x = Weights.gaussian(1, cols);
        y = new float[rows];
        if (impl.equals("llama.cpp")) {
            bindLlamaCpp(dtype);
        }
    }

    private void bindLlamaCpp(DType dtype) {
        Path lib = LlamaCppVariant.cpuLibrary();
        System.out.println("llama.cpp CPU backend: " + lib.getFileName() + " (" + LlamaCppVariant.how() + ")");
        Linker linker = Linker.nativeLinker();
        SymbolLookup cpu = SymbolLookup.libraryLookup(lib, arena);
        try {
            linker.downcallHandle(cpu.find("ggml_cpu_init").orElseThrow(), FunctionDescriptor.ofVoid()).invokeExact();
            MethodHandle traitsOf = linker.downcallHandle(cpu.find("ggml_get_type_traits_cpu").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            // struct ggml_type_traits_cpu { from_float; vec_dot; enum ggml_type vec_dot_type; int64_t nrows; }
            MemorySegment traits = ((MemorySegment) traitsOf.invokeExact(dtype.ggmlId())).reinterpret(32);
            DType actType = DType.fromGgmlId(traits.get(ValueLayout.JAVA_INT, 16));
            MemorySegment actTraits = ((MemorySegment) traitsOf.invokeExact(actType.ggmlId())).reinterpret(32);
            vecDot = linker.downcallHandle(traits.get(ValueLayout.ADDRESS, 8),
                    FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT),
                    Linker.Option.critical(false));
            fromFloat = linker.downcallHandle(actTraits.get(ValueLayout.ADDRESS, 0),
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
                    Linker.Option.critical(false));
            xNative = arena.allocate(4L * cols, 64);
            xq = arena.allocate(actType.byteSize(cols), 64);
            result = arena.allocate(4, 16);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot bind llama.cpp's kernels for " + dtype, t);
        }
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float matvec(Rates rates) throws Throwable {
        if (vecDot == null) {
            MatMul.matvec(w, x, y);
        } else {
            MemorySegment.copy(x, 0, xNative, ValueLayout.JAVA_FLOAT, 0, cols);
            fromFloat.invokeExact(xNative, xq, (long) cols);
            MemorySegment data = w.data();
            for (int r = 0; r < rows; r++) {
                vecDot.invokeExact(cols, result, 0L, data.asSlice(r * rowBytes, rowBytes), 0L, xq, 0L, 1);
                y[r] = result.get(ValueLayout.JAVA_FLOAT, 0);
            }
        }
        rates.gflop += 2.0 * rows * cols / 1e9;
        rates.gbytes += w.byteSize() / 1e9;
        return y[0];
    }
}

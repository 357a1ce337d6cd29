package dev.plinth;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * llama.cpp's own prebuilt libraries (node-llama-cpp's linux-x64 binaries, installed by
 * {@code .ci/install-references}), loaded through java.lang.foreign so that tests can compare
 * Plinth with the reference bit for bit. Test scope only.
 *
 * <p>The folder holds one {@code libggml-cpu-VARIANT.so} per instruction set, and llama.cpp left to
 * itself loads the best one the CPU runs; those variants compute F16 products differently (some
 * round the activations to F16, some keep F32), so the reference would change with the machine.
 * Tests therefore register exactly one variant, {@link #PINNED_VARIANT} unless the system property
 * {@code plinth.llamacpp.variant} names another (e.g. {@code zen4}, to see here what an AMD machine
 * gets), and check that it is the only backend llama.cpp knows.
 */
public final class LlamaCppLibrary {
    /** AVX2 + FMA + F16C: runs on every x86-64 machine the project uses. */
    public static final String PINNED_VARIANT = "haswell";
    /**
     * The variants whose F16 products keep F32 activations (sapphirerapids: on the shapes of
     * {@code LlamaCppConformanceTest}, not on BaseExportTest's 32-wide base; presumably its AMX
     * kernels). Every other variant converts the activations to F16 first (ggml's
     * {@code vec_dot_type}). Measured on {@code LlamaCppConformanceTest}'s F16 rows with each of
     * the 14 variants, Plinth rounding and not.
     */
    private static final Set<String> KEEP_F32_ACTIVATIONS = Set.of("sapphirerapids");

    private static final Linker LINKER = Linker.nativeLinker();
    private static SymbolLookup cpu;
    private static SymbolLookup llama;

    private LlamaCppLibrary() {
    }

    public static Path directory() {
        return Path.of(System.getProperty("plinth.llamacpp.lib",
                ".reference/node/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"));
    }

    /** The CPU backend variant tests use: {@code plinth.llamacpp.variant}, else {@link #PINNED_VARIANT}. */
    public static String variant() {
        String v = System.getProperty("plinth.llamacpp.variant", "");
        return v.isBlank() ? PINNED_VARIANT : v.strip();
    }

    /**
     * Whether the {@link #variant()} rounds activations to F16 before a product with an F16 weight,
     * as {@link dev.plinth.model.DecoderModel#setF16ActivationRounding} then should.
     */
    public static boolean roundsF16Activations() {
        return !KEEP_F32_ACTIVATIONS.contains(variant());
    }

    /** Symbols of {@code libggml-base.so}; skips the calling test when it is not installed. */
    public static SymbolLookup ggmlBase() {
        return load("libggml-base.so");
    }

    /**
     * Symbols of {@code libllama.v0.4.0.so}, after the {@link #variant()} CPU backend was registered
     * ({@link #cpuBackend()}); skips the calling test when absent.
     */
    public static synchronized SymbolLookup llama() {
        if (llama == null) {
            cpuBackend();
            llama = load("libllama.v0.4.0.so");
        }
        return llama;
    }

    /**
     * Symbols of the one CPU backend variant, {@code libggml-cpu-VARIANT.so}, registered with ggml
     * through {@code ggml_backend_load}; fails if this CPU cannot run it or ggml then knows any other
     * backend, skips the calling test when llama.cpp is not installed.
     */
    public static synchronized SymbolLookup cpuBackend() {
        if (cpu == null) {
            ggmlBase();
            SymbolLookup ggml = load("libggml.v0.4.0.so");
            Path lib = directory().resolve("libggml-cpu-" + variant() + ".so");
            if (!Files.isRegularFile(lib)) {
                throw new IllegalStateException("no llama.cpp CPU backend " + lib + " (plinth.llamacpp.variant="
                        + variant() + "; the folder has one libggml-cpu-VARIANT.so per variant)");
            }
            int before = backendCount(ggml);
            if (before != 0) {
                throw new IllegalStateException(before + " llama.cpp backend(s) registered before the pinned one");
            }
            MemorySegment reg = register(ggml, lib);
            if (reg.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("this CPU cannot run llama.cpp's " + lib.getFileName()
                        + " (ggml_backend_load refused it; see its log above)");
            }
            checkOnlyBackend(ggml, reg, lib);
            System.out.println("llama.cpp reference: " + lib.getFileName() + (variant().equals(PINNED_VARIANT)
                    ? " (pinned)" : " (-Dplinth.llamacpp.variant=" + variant() + ")"));
            cpu = SymbolLookup.libraryLookup(lib, Arena.global()); // the handle ggml_backend_load opened
        }
        return cpu;
    }

    /** {@code ggml_backend_load(path)}: the backend's registration, or NULL when this CPU cannot run it. */
    private static MemorySegment register(SymbolLookup ggml, Path lib) {
        try (Arena a = Arena.ofConfined()) {
            return (MemorySegment) LINKER.downcallHandle(ggml.findOrThrow("ggml_backend_load"),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS))
                    .invokeExact(a.allocateFrom(lib.toAbsolutePath().toString()));
        } catch (Throwable t) {
            throw new AssertionError("ggml_backend_load(" + lib + ") failed", t);
        }
    }

    private static void checkOnlyBackend(SymbolLookup ggml, MemorySegment reg, Path lib) {
        int count = backendCount(ggml);
        MemorySegment first;
        try {
            first = (MemorySegment) LINKER.downcallHandle(ggml.findOrThrow("ggml_backend_reg_get"),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG)).invokeExact(0L);
        } catch (Throwable t) {
            throw new AssertionError("ggml_backend_reg_get", t);
        }
        if (count != 1 || !first.equals(reg)) {
            throw new IllegalStateException("llama.cpp has " + count + " backends registered; the tests need exactly one,"
                    + " the CPU backend of " + lib);
        }
    }

    private static int backendCount(SymbolLookup ggml) {
        try {
            return (int) (long) LINKER.downcallHandle(ggml.findOrThrow("ggml_backend_reg_count"),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG)).invokeExact();
        } catch (Throwable t) {
            throw new AssertionError("ggml_backend_reg_count", t);
        }
    }

    private static SymbolLookup load(String file) {
        Path lib = directory().resolve(file);
        if (!Files.isRegularFile(lib)) {
            String reason = "llama.cpp reference library not found: " + lib + " (run .ci/install-references)";
            System.err.println("SKIPPED: " + reason);
            assumeTrue(false, reason);
        }
        return SymbolLookup.libraryLookup(lib, Arena.global());
    }
}

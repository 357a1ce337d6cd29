package dev.plinth;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * llama.cpp's own prebuilt libraries (node-llama-cpp's linux-x64 binaries, installed by
 * {@code .ci/install-references}), loaded through java.lang.foreign so that tests can compare
 * Plinth with the reference bit for bit. Test scope only.
 */
public final class LlamaCppLibrary {
    private LlamaCppLibrary() {
    }

    public static Path directory() {
        return Path.of(System.getProperty("plinth.llamacpp.lib",
                ".reference/node/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"));
    }

    /** Symbols of {@code libggml-base.so}; skips the calling test when it is not installed. */
    public static SymbolLookup ggmlBase() {
        return load("libggml-base.so");
    }

    /**
     * Symbols of {@code libllama.v0.4.0.so}, after ggml's CPU backend variants in the same folder
     * were registered ({@code ggml_backend_load_all_from_path}); skips the calling test when absent.
     */
    public static synchronized SymbolLookup llama() {
        if (llama == null) {
            SymbolLookup ggml = load("libggml.v0.4.0.so");
            try (Arena a = Arena.ofConfined()) {
                java.lang.foreign.Linker.nativeLinker().downcallHandle(ggml.findOrThrow("ggml_backend_load_all_from_path"),
                        java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.ADDRESS))
                        .invokeExact(a.allocateFrom(directory().toAbsolutePath().toString()));
            } catch (Throwable t) {
                throw new AssertionError("ggml_backend_load_all_from_path failed", t);
            }
            llama = load("libllama.v0.4.0.so");
        }
        return llama;
    }

    private static SymbolLookup llama;

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

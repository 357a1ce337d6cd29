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

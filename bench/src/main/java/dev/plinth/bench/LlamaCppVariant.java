package dev.plinth.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Which of node-llama-cpp's prebuilt {@code libggml-cpu-VARIANT.so} a benchmark runs: the one
 * llama.cpp itself loads on this CPU ({@code ggml_backend_load_all} keeps the variant whose
 * {@code ggml_backend_score()} is highest), or the one {@code -Dplinth.llamacpp.cpu=NAME} forces.
 */
final class LlamaCppVariant {
    private LlamaCppVariant() {
    }

    /** The folder of node-llama-cpp's libraries: {@code -Dplinth.llamacpp.lib}, else the reference install. */
    static Path directory() {
        return Path.of(System.getProperty("plinth.llamacpp.lib",
                ".reference/node/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"));
    }

    /** The CPU backend library to load, checked to exist. */
    static Path cpuLibrary() {
        Path dir = directory();
        String forced = System.getProperty("plinth.llamacpp.cpu", "");
        Path lib = forced.isBlank() ? bestVariant(dir) : dir.resolve("libggml-cpu-" + forced + ".so");
        if (!Files.isRegularFile(lib)) {
            throw new IllegalStateException("llama.cpp library not found: " + lib + " (run .ci/install-references)");
        }
        return lib;
    }

    /** {@code libggml-cpu-NAME.so} → NAME. */
    static String name(Path cpuLibrary) {
        return cpuLibrary.getFileName().toString().replaceFirst("^libggml-cpu-", "").replaceFirst("\\.so$", "");
    }

    /** Whether the variant was forced rather than llama.cpp's own choice, for the printed line. */
    static String how() {
        String forced = System.getProperty("plinth.llamacpp.cpu", "");
        return forced.isBlank() ? "llama.cpp's choice on this CPU" : "-Dplinth.llamacpp.cpu=" + forced;
    }

    private static Path bestVariant(Path dir) {
        Path best = null;
        int bestScore = 0;
        try (var files = Files.list(dir)) {
            List<Path> variants = files.filter(f -> f.getFileName().toString().matches("libggml-cpu-.+\\.so"))
                    .sorted().toList();
            for (Path lib : variants) {
                int score = backendScore(lib);
                if (score > bestScore) {
                    best = lib;
                    bestScore = score;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (best == null) {
            throw new IllegalStateException("no llama.cpp CPU backend in " + dir + " runs on this CPU");
        }
        return best;
    }

    private static int backendScore(Path lib) {
        try (Arena a = Arena.ofConfined()) {
            SymbolLookup l = SymbolLookup.libraryLookup(lib, a);
            return (int) Linker.nativeLinker().downcallHandle(l.find("ggml_backend_score").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT)).invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("cannot score llama.cpp's " + lib, t);
        }
    }
}

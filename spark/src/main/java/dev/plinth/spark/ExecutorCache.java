package dev.plinth.spark;

import dev.plinth.model.TokenizerLoader;
import dev.plinth.text.Tokenizer;
import dev.plinth.train.corpus.NearDuplicates;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each executor JVM loads once and shares between its tasks: tokenizers by path and MinHash
 * signers by parameters. Paths name files every executor can read (a shared file system).
 */
final class ExecutorCache {

    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();
    private static final Map<NearDuplicates.Parameters, NearDuplicates> SIGNERS = new ConcurrentHashMap<>();

    private ExecutorCache() {
    }

    static Tokenizer tokenizer(String path) {
        return TOKENIZERS.computeIfAbsent(path, p -> {
            try (TokenizerLoader loader = TokenizerLoader.open(Path.of(p), null)) {
                return loader.tokenizer();
            } catch (IOException e) {
                throw new UncheckedIOException(p + ": cannot load the tokenizer on this executor", e);
            }
        });
    }

    /** A signer: only its thread-safe {@link NearDuplicates#signature} is used. */
    static NearDuplicates signer(NearDuplicates.Parameters parameters) {
        return SIGNERS.computeIfAbsent(parameters, NearDuplicates::new);
    }
}

package dev.plinth.cli;

import dev.plinth.knowledge.Ingest;
import dev.plinth.knowledge.IngestReport;
import dev.plinth.knowledge.KnowledgeBase;
import dev.plinth.knowledge.KnowledgeEmbedder;
import dev.plinth.knowledge.KnowledgeException;
import dev.plinth.product.Store;
import java.io.IOException;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Model.CommandSpec;

/** The knowledge bases as the commands see them: under PLINTH_HOME, with their embedder and a progress bar. */
final class KnowledgeBases {
    /** Lucene announces its vector kernels at INFO on every start; kept (a strong reference) at WARNING. */
    private static final Logger LUCENE_VECTORS = Logger.getLogger("org.apache.lucene.internal.vectorization");

    static {
        LUCENE_VECTORS.setLevel(Level.WARNING);
    }

    private KnowledgeBases() {
    }

    static Path home(Console console) {
        return Store.defaultRoot(console.environment());
    }

    /** The folder of {@code name} (a usage error when the name is malformed). */
    static Path folder(Console console, CommandSpec spec, String name) {
        return Usage.check(spec, () -> KnowledgeBase.folder(home(console), name));
    }

    /** The embedder {@code named} (a model path) or, when null, the one {@code recorded} with an index. */
    static KnowledgeEmbedder embedder(Console console, String named, String recorded) throws IOException {
        String source = named != null ? named : recorded;
        long start = System.nanoTime();
        KnowledgeEmbedder e = KnowledgeEmbedder.open(source, home(console));
        console.debug("embedder %s (%s) loaded in %.1f ms", e.source(), e.digest(), (System.nanoTime() - start) / 1e6);
        return e;
    }

    /** Opens a knowledge base by name; a missing one is a runtime error naming the list command. */
    static KnowledgeBase open(Console console, CommandSpec spec, String name) throws IOException {
        Path folder = folder(console, spec, name);
        if (!KnowledgeBase.exists(folder)) {
            throw new KnowledgeException("no knowledge base '" + name + "' in " + KnowledgeBase.root(home(console))
                    + " (plinth knowledge list shows them)");
        }
        return KnowledgeBase.open(folder);
    }

    /** A progress bar over the chunks embedded. */
    static final class Progress implements Ingest.Listener, AutoCloseable {
        private final Console console;
        private ProgressMeter meter;

        Progress(Console console) {
            this.console = console;
        }

        @Override
        public void chunked(int files, int chunks) {
            console.info("%d files to embed, %d chunks", files, chunks);
            meter = new ProgressMeter(console, "embedding", chunks, ProgressMeter.Unit.COUNT);
        }

        @Override
        public void embedded(long done, long total) {
            meter.update(done);
        }

        @Override
        public void close() {
            if (meter != null) {
                meter.finish();
            }
        }
    }

    static void print(Console console, IngestReport report) {
        console.out().print(report.toText());
    }
}

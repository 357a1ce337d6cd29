package dev.plinth.cli;

import dev.plinth.knowledge.Hit;
import dev.plinth.knowledge.KnowledgeBase;
import dev.plinth.knowledge.KnowledgeEmbedder;
import dev.plinth.knowledge.SearchMode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth knowledge search}: the best chunks for a query. */
@Command(name = "search", description = {"Search a knowledge base: BM25 over the words, vectors by meaning, or both fused by",
        "reciprocal rank (hybrid). Each hit: rank, score, document id, source path and lines (page for a PDF), passage."})
final class KnowledgeSearchCommand implements Callable<Integer> {
    private static final int PREVIEW = 240;
    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME", description = "The knowledge base.")
    String name;

    @Parameters(index = "1", paramLabel = "QUERY", description = "What to look for.")
    String query;

    @Option(names = "--k", paramLabel = "N", defaultValue = "5", description = "How many hits (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "hybrid", description = "hybrid, bm25 or vector (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--json", description = "Print a JSON array: one object per hit with the whole passage.")
    boolean json;

    @Option(names = "--embedder", paramLabel = "MODEL", description = "The embedder (must be the one the index was built with; default: that one).")
    String embedder;

    KnowledgeSearchCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        SearchMode m = Usage.check(spec, () -> SearchMode.parse(mode));
        if (k < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--k must be at least 1");
        }
        List<Hit> hits;
        try (KnowledgeBase kb = KnowledgeBases.open(console, spec, name)) {
            boolean needsEmbedder = m != SearchMode.BM25 || embedder != null;
            try (KnowledgeEmbedder e = needsEmbedder ? KnowledgeBases.embedder(console, embedder, kb.settings().embedder()) : null) {
                long start = System.nanoTime();
                hits = kb.search(e, query, k, m);
                console.debug("%s search in %.1f ms", m.label(), (System.nanoTime() - start) / 1e6);
            }
        }
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            hits.forEach(h -> rows.add(toJson(h)));
            Json.write(console.out(), rows);
        } else {
            for (Hit h : hits) {
                console.out().printf("%d  %.4f  %s  %s%n", h.rank(), h.score(), h.documentId(), h.location());
                String text = h.text().replaceAll("\\s+", " ");
                console.out().println("   " + (text.length() > PREVIEW ? text.substring(0, PREVIEW) + "…" : text));
            }
        }
        return Main.OK;
    }

    static Map<String, Object> toJson(Hit h) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("rank", h.rank());
        o.put("score", h.score());
        o.put("doc_id", h.documentId());
        o.put("path", h.path());
        o.put("title", h.title());
        o.put("section", h.section());
        o.put("first_line", h.firstLine());
        o.put("last_line", h.lastLine());
        if (h.firstPage() > 0) {
            o.put("first_page", h.firstPage());
            o.put("last_page", h.lastPage());
        }
        o.put("text", h.text());
        return o;
    }
}

package dev.plinth.cli;

import dev.plinth.knowledge.KnowledgeBase;
import dev.plinth.knowledge.KnowledgeEmbedder;
import dev.plinth.knowledge.KnowledgeEval;
import dev.plinth.knowledge.SearchMode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth knowledge eval}: retrieval quality on questions with known answer documents. */
@Command(name = "eval", description = {"Measure retrieval: for each question of QUESTIONS.jsonl ({\"question\", \"gold_doc_id\"}),",
        "the rank of the gold document among the documents of the best 100 chunks, in bm25, vector and hybrid mode.",
        "Prints recall@1, recall@5, recall@10 and MRR as a markdown table."})
final class KnowledgeEvalCommand implements Callable<Integer> {
    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME", description = "The knowledge base.")
    String name;

    @Parameters(index = "1", paramLabel = "QUESTIONS.jsonl", description = "Questions with question and gold_doc_id.")
    Path questions;

    @Option(names = "--embedder", paramLabel = "MODEL", description = "The embedder (must be the index's; default: that one).")
    String embedder;

    KnowledgeEvalCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        List<KnowledgeEval.Question> qs = KnowledgeEval.read(questions);
        List<KnowledgeEval.Scores> scores;
        try (KnowledgeBase kb = KnowledgeBases.open(console, spec, name);
             KnowledgeEmbedder e = KnowledgeBases.embedder(console, embedder, kb.settings().embedder())) {
            kb.requireEmbedder(e);
            ProgressMeter meter = new ProgressMeter(console, "questions", (long) qs.size() * 3, ProgressMeter.Unit.COUNT);
            int[] before = {0};
            scores = KnowledgeEval.run(kb, e, qs, List.of(SearchMode.BM25, SearchMode.VECTOR, SearchMode.HYBRID), done -> {
                meter.update(before[0] + done);
                if (done == qs.size()) {
                    before[0] += done;
                }
            });
            meter.finish();
        }
        console.out().printf("%d questions, %s%n%n", qs.size(), questions);
        console.out().println("| mode | recall@1 | recall@5 | recall@10 | MRR |");
        console.out().println("|---|---|---|---|---|");
        for (KnowledgeEval.Scores s : scores) {
            console.out().printf(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f |%n", s.mode().label(), s.recallAt1(),
                    s.recallAt5(), s.recallAt10(), s.mrr());
        }
        return Main.OK;
    }
}

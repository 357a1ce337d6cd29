package dev.plinth.cli;

import dev.plinth.eval.Evaluator;
import dev.plinth.eval.Task;
import dev.plinth.eval.TaskResult;
import dev.plinth.knowledge.Ingest;
import dev.plinth.knowledge.KnowledgeEmbedder;
import dev.plinth.train.corpus.CorpusBuilder;
import dev.plinth.train.corpus.DatasetCard;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the commands that can outgrow one machine run their work: here ({@link #LOCAL}), or as
 * cluster jobs (module {@code spark}, which starts this CLI with its own). The commands parse, check
 * and report the same way either way; only the step named here is handed over.
 */
public interface ScaleOut {

    /** Everything on this machine: the commands' own code paths. */
    ScaleOut LOCAL = new ScaleOut() {
    };

    /**
     * Checks that a source of {@link #buildCorpus} is there, before the output folder is touched: a local path
     * here (a URI is an error); a scale-out that reads other file systems checks URIs there.
     */
    default void checkSource(SourceSpec source) throws IOException {
        source.source();
    }

    /**
     * Builds the corpus of {@code sources} with {@code builder}'s settings (split, seed, shard size; its
     * sources are empty) into {@code output} and returns the card; {@code tokenizer} is the file or folder
     * the builder's tokenizer was loaded from, for workers that load their own.
     */
    default DatasetCard buildCorpus(CorpusBuilder builder, List<SourceSpec> sources, Path tokenizer, Path output)
            throws IOException {
        for (SourceSpec s : sources) {
            builder.add(s.source());
        }
        return builder.build(output);
    }

    /**
     * Runs one task of {@code plinth eval} with {@code evaluator}; {@code work} says how a worker
     * opens the same model and task to score a range of its items.
     */
    default TaskResult evaluate(Evaluator evaluator, Task task, EvalWork work, Evaluator.Progress progress) throws IOException {
        return evaluator.run(task, progress);
    }

    /**
     * Who reads, chunks, embeds and writes the files of {@code plinth knowledge create} and {@code knowledge add};
     * {@code home} is the Plinth home a worker opens the same embedder ({@link KnowledgeEmbedder#source()}) from.
     */
    default Ingest.Work knowledgeWork(KnowledgeEmbedder embedder, Path home) {
        return Ingest.Work.local(embedder);
    }

    /** Completes the prompts of {@code plinth run --input}, in order; {@code work} says how a worker opens the same model. */
    default List<RunWork.Completion> complete(RunWork work, List<RunWork.Prompt> prompts) throws IOException {
        return work.complete(prompts);
    }
}

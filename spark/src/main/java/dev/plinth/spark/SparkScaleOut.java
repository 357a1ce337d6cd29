package dev.plinth.spark;

import dev.plinth.cli.EvalWork;
import dev.plinth.cli.RunWork;
import dev.plinth.cli.ScaleOut;
import dev.plinth.cli.SourceSpec;
import dev.plinth.eval.Evaluator;
import dev.plinth.eval.Task;
import dev.plinth.eval.TaskResult;
import dev.plinth.knowledge.Ingest;
import dev.plinth.knowledge.KnowledgeEmbedder;
import dev.plinth.train.corpus.CorpusBuilder;
import dev.plinth.train.corpus.DatasetCard;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The CLI's cluster-sized steps as jobs on one Spark session. */
final class SparkScaleOut implements ScaleOut {

    private final JavaSparkContext sc;

    SparkScaleOut(SparkSession spark) {
        this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @Override
    public void checkSource(SourceSpec source) throws IOException {
        new HadoopFiles(sc).status(source.location());
    }

    @Override
    public DatasetCard buildCorpus(CorpusBuilder builder, List<SourceSpec> sources, Path tokenizer, Path output)
            throws IOException {
        return new SparkCorpusBuild(sc).run(builder, sources, tokenizer, output);
    }

    @Override
    public TaskResult evaluate(Evaluator evaluator, Task task, EvalWork work, Evaluator.Progress progress) {
        return new SparkEval(sc).run(evaluator, task, work);
    }

    @Override
    public Ingest.Work knowledgeWork(KnowledgeEmbedder embedder, Path home) {
        return new SparkKnowledge(sc, embedder, home);
    }

    @Override
    public List<RunWork.Completion> complete(RunWork work, List<RunWork.Prompt> prompts) {
        return new SparkCompletions(sc).run(work, prompts);
    }
}

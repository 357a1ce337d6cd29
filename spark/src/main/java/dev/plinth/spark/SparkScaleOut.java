package dev.plinth.spark;

import dev.plinth.cli.ScaleOut;
import dev.plinth.train.corpus.CorpusBuilder;
import dev.plinth.train.corpus.DatasetCard;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.file.Path;

/** The CLI's cluster-sized steps as jobs on one Spark session. */
final class SparkScaleOut implements ScaleOut {

    private final JavaSparkContext sc;

    SparkScaleOut(SparkSession spark) {
        this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @Override
    public DatasetCard buildCorpus(CorpusBuilder builder, Path tokenizer, Path output) throws IOException {
        return new SparkCorpusBuild(sc).run(builder, tokenizer, output);
    }
}

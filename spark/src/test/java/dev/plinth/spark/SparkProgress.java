package dev.plinth.spark;

import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.sql.SparkSession;
import scala.jdk.javaapi.CollectionConverters;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.fail;

/** What the Spark UI shows of a session's jobs, heard as the UI hears it: job descriptions and named accumulators. */
final class SparkProgress extends SparkListener {

    private final List<String> descriptions = new CopyOnWriteArrayList<>();
    private final Map<String, Long> accumulators = new ConcurrentHashMap<>();

    static SparkProgress listen(SparkSession spark) {
        SparkProgress p = new SparkProgress();
        spark.sparkContext().addSparkListener(p);
        return p;
    }

    @Override
    public void onJobStart(SparkListenerJobStart job) {
        String description = job.properties() == null ? null : job.properties().getProperty("spark.job.description");
        if (description != null) {
            descriptions.add(description);
        }
    }

    @Override
    public void onStageCompleted(SparkListenerStageCompleted stage) {
        for (AccumulableInfo a : CollectionConverters.asJava(stage.stageInfo().accumulables().values())) {
            if (a.name().isDefined() && a.value().isDefined() && a.value().get() instanceof Long v) {
                accumulators.merge(a.name().get(), v, Math::max);
            }
        }
    }

    List<String> descriptions() {
        return descriptions;
    }

    /** Waits (events reach listeners asynchronously) until accumulator {@code name} shows {@code expected}. */
    void awaitAccumulator(String name, long expected) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Long.valueOf(expected).equals(accumulators.get(name))) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        fail("accumulator '" + name + "': expected " + expected + ", the UI shows " + accumulators.get(name) + " (" + accumulators + ")");
    }
}

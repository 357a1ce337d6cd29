package dev.plinth.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;

/**
 * The server's meters in Micrometer's Prometheus registry, scraped at {@code GET /metrics}:
 * requests by endpoint and status, prompt and completion tokens, and per base the queue length,
 * running sequences, KV cache in use and its budget; batch size and time to first token.
 */
final class Metrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter promptTokens = Counter.builder("plinth.tokens").tag("kind", "prompt")
            .description("Prompt tokens of answered requests").register(registry);
    private final Counter completionTokens = Counter.builder("plinth.tokens").tag("kind", "completion")
            .description("Generated tokens").register(registry);
    private final DistributionSummary batchSize = DistributionSummary.builder("plinth.batch.size")
            .description("Sequences in one decode step").register(registry);
    private final Timer timeToFirstToken = Timer.builder("plinth.time.to.first.token")
            .description("From a sequence's arrival to its first sampled token").register(registry);

    void request(String endpoint, int status) {
        Counter.builder("plinth.requests").tag("endpoint", endpoint).tag("status", Integer.toString(status))
                .description("HTTP requests answered").register(registry).increment();
    }

    void tokens(int prompt, int completion) {
        promptTokens.increment(prompt);
        completionTokens.increment(completion);
    }

    void batch(int size) {
        batchSize.record(size);
    }

    void firstToken(long nanos) {
        timeToFirstToken.record(Duration.ofNanos(nanos));
    }

    void registerScheduler(Scheduler s) {
        Gauge.builder("plinth.queue.length", s, Scheduler::queuedCount).tag("base", s.name())
                .description("Sequences waiting to join the batch").register(registry);
        Gauge.builder("plinth.sequences.running", s, Scheduler::runningCount).tag("base", s.name())
                .description("Sequences in the running batch").register(registry);
        Gauge.builder("plinth.kv.cache.bytes", s, Scheduler::kvBytesInUse).tag("base", s.name())
                .description("KV cache held by running sequences").baseUnit("bytes").register(registry);
        Gauge.builder("plinth.kv.cache.budget.bytes", s, Scheduler::kvBudget).tag("base", s.name())
                .description("KV cache budget").baseUnit("bytes").register(registry);
    }

    /** The Prometheus text exposition. */
    String scrape() {
        return registry.scrape();
    }
}

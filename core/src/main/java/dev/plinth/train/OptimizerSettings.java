package dev.plinth.train;

import dev.plinth.tensor.autograd.Variable;
import java.util.Collection;
import java.util.Map;

/**
 * The settings of the training loop that pretraining and fine-tuning share (their configurations'
 * accessors), and what the loop is built from.
 */
interface OptimizerSettings {

    long steps();

    int gradAccum();

    double lr();

    double minLr();

    long warmup();

    double weightDecay();

    double beta1();

    double beta2();

    double clip();

    long evalEvery();

    int evalBatches();

    long checkpointEvery();

    long seed();

    default Trainer.Schedule schedule() {
        return new Trainer.Schedule(steps(), gradAccum(), lr(), minLr(), warmup(), clip(), evalEvery(), checkpointEvery());
    }

    /** AdamW as both runs use it (epsilon 1e-8, decay on matrices only) over {@code parameters}. */
    default AdamW optimizer(Collection<Variable> parameters) {
        return new AdamW(parameters, new AdamW.Settings(beta1(), beta2(), 1e-8, weightDecay()), AdamW.decayMatrices(true));
    }

    /** Adds lr through seed to {@code m}, in the order both configurations' files list them. */
    default void putOptimizerKeys(Map<String, String> m) {
        m.put("lr", Double.toString(lr()));
        m.put("min-lr", Double.toString(minLr()));
        m.put("warmup", Long.toString(warmup()));
        m.put("weight-decay", Double.toString(weightDecay()));
        m.put("beta1", Double.toString(beta1()));
        m.put("beta2", Double.toString(beta2()));
        m.put("clip", Double.toString(clip()));
        m.put("eval-every", Long.toString(evalEvery()));
        m.put("eval-batches", Integer.toString(evalBatches()));
        m.put("checkpoint-every", Long.toString(checkpointEvery()));
        m.put("seed", Long.toString(seed()));
    }
}

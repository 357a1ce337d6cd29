package dev.plinth.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Work done by a matrix-product benchmark, reported by JMH as rates: {@code gflop} in GFLOP/s and
 * {@code gbytes} in weight GB/s. A benchmark method adds what one call did.
 */
@AuxCounters(AuxCounters.Type.OPERATIONS)
@State(Scope.Thread)
public class Rates {
    public double gflop;
    public double gbytes;

    @Setup(Level.Iteration)
    public void reset() {
        gflop = 0;
        gbytes = 0;
    }
}

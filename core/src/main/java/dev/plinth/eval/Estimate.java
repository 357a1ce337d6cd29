package dev.plinth.eval;

/**
 * A metric's value and its standard error (NaN when it has none: a single item, or no items of the
 * kind the metric counts).
 */
public record Estimate(double value, double stderr) {
}

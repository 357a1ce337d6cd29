package dev.plinth.eval;

import java.util.List;

/**
 * What one row asks of the model. A multiple-choice or loglikelihood item has its requests (one per
 * choice; contexts before the prompt format is applied), the choices' texts (for {@code acc_norm})
 * and the right indices; a rolling item its document; a probe its prompt and check.
 *
 * @param row      the data row
 * @param group    the value of the definition's {@code by} field, or null
 * @param requests context, delimiter and continuation per choice (empty for rolling items and probes)
 * @param choices  each choice's text as lm-evaluation-harness measures it for {@code acc_norm}
 * @param gold     the indices of the right choices
 * @param labels   per choice 1 (true) or 0 (false) when the choices came with labels, else null
 * @param document a rolling item's text, else null
 * @param probe    a probe, else null
 */
record Item(Row row, String group, List<Request> requests, List<String> choices, int[] gold, double[] labels,
            String document, Probe probe) {

    /** A context, the delimiter between it and the continuation, and the continuation. */
    record Request(String context, String delimiter, String continuation) {
    }

    /** The row's id; a probe's name. */
    String id() {
        return probe != null ? probe.name() : row.id();
    }
}

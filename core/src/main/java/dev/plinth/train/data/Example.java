package dev.plinth.train.data;

import dev.plinth.train.Trainer;

/**
 * One training sequence as the model sees it: {@code targets[t]} is what {@code inputs[0..t]}
 * should predict (the next token, or a class at the last position), or {@link Trainer#IGNORE}
 * where no loss is taken (prompts, user turns, padding).
 */
public record Example(int[] inputs, int[] targets) {
    public Example {
        if (inputs.length == 0 || inputs.length != targets.length) {
            throw new IllegalArgumentException(inputs.length + " inputs and " + targets.length + " targets");
        }
    }

    /** Positions that take a loss. */
    public int learned() {
        int n = 0;
        for (int t : targets) {
            if (t != Trainer.IGNORE) {
                n++;
            }
        }
        return n;
    }
}

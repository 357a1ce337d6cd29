package dev.plinth.train.data;

/**
 * The kinds of fine-tuning data, told apart by content ({@link DataReader#detect}), each with the
 * task it trains by default.
 */
public enum DataFormat {
    /** JSONL, {@code {"messages": [{"role", "content"}, ...]}} per line (OpenAI's fine-tuning format): loss on assistant turns. */
    CHAT("chat JSONL", Task.CHAT),
    /** JSONL, {@code {"prompt", "completion"}} per line: loss on the completion (and the end-of-text token after it). */
    PROMPT_COMPLETION("prompt/completion JSONL", Task.CAUSAL),
    /** Plain text files (or JSONL of {@code {"text"}}): continued pretraining, loss on every token. */
    TEXT("plain text", Task.CAUSAL),
    /** A built corpus folder ({@code card.json} and token shards): continued pretraining. */
    CORPUS("built corpus", Task.CAUSAL),
    /** JSONL {@code {"text", "label"}} or CSV with {@code text} and {@code label} columns: a classification head. */
    CLASSIFICATION("classification", Task.CLASSIFY);

    /** What a fine-tune trains. */
    public enum Task {
        /** Next-token loss on the learned tokens of each example. */
        CAUSAL,
        /** Next-token loss on assistant turns of rendered conversations. */
        CHAT,
        /** Cross-entropy of a classification head on the last token. */
        CLASSIFY;

        public String cliName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final String description;
    private final Task task;

    DataFormat(String description, Task task) {
        this.description = description;
        this.task = task;
    }

    public String description() {
        return description;
    }

    /** The task this data trains unless told otherwise. */
    public Task defaultTask() {
        return task;
    }

    /**
     * Whether this data can train {@code t}: each its default task, and prompt/completion pairs also
     * as chat (the prompt a user turn, the completion the assistant's).
     */
    public boolean trains(Task t) {
        return t == task || (this == PROMPT_COMPLETION && t == Task.CHAT);
    }
}

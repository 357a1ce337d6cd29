package dev.plinth.eval;

/**
 * How a context reaches the model. A base reads it as it is; a product with a profile (system
 * prompt, few-shot turns, template) reads it as lm-evaluation-harness's {@code --apply_chat_template}
 * with {@code --system_instruction} renders it: the profile's turns, the context as a user turn, the
 * assistant's generation prompt, and then the continuation without the target delimiter.
 */
public interface PromptFormat {

    /** Contexts as they are. */
    PromptFormat RAW = new PromptFormat() {
        @Override
        public String render(String context) {
            return context;
        }

        @Override
        public boolean chat() {
            return false;
        }
    };

    /** The text the model reads before a continuation. */
    String render(String context);

    /** Whether contexts are rendered as chat turns (the target delimiter is then dropped). */
    boolean chat();
}

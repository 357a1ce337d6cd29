package dev.plinth.text;

/**
 * ChatML, the chat format of every base Plinth exports and of tokenizers it trains for chat, and
 * the stand-in for models that carry no chat template.
 */
public final class ChatMl {
    /** Opens a turn: {@code <|im_start|>role\n}. Tokenizers trained for chat reserve it as a special token. */
    public static final String IM_START = "<|im_start|>";
    /** Closes a turn. Tokenizers trained for chat reserve it as a special token. */
    public static final String IM_END = "<|im_end|>";
    /**
     * The Jinja chat template: each message as {@code <|im_start|>role\ncontent<|im_end|>\n}, then
     * an open assistant turn ({@code <|im_start|>assistant\n}) when a generation prompt is asked for.
     */
    public static final String TEMPLATE = "{% for message in messages %}"
            + "{{ '" + IM_START + "' + message['role'] + '\n' + message['content'] + '" + IM_END + "' + '\n' }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '" + IM_START + "assistant\n' }}{% endif %}";

    private ChatMl() {
    }
}

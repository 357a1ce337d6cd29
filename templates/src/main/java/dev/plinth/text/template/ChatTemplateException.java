package dev.plinth.text.template;

/**
 * A chat template could not be rendered: either the template itself refused the conversation
 * ({@code raise_exception(...)}, e.g. "System role not supported"), or it uses a construct this
 * engine does not support, or it is not valid Jinja. Rendering never returns partial or guessed
 * output; it throws this instead.
 */
public final class ChatTemplateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why rendering stopped. */
    public enum Kind {
        /** The template called {@code raise_exception(message)}. */
        RAISED,
        /** The template uses a filter, function, method, tag or syntax that is not supported. */
        UNSUPPORTED,
        /** Any other rendering error (bad syntax, bad argument, output too large). */
        ERROR
    }

    private final Kind kind;
    private final String detail;
    private final int line;

    ChatTemplateException(Kind kind, String detail, int line) {
        super(describe(kind, detail, line));
        this.kind = kind;
        this.detail = detail;
        this.line = line;
    }

    private static String describe(Kind kind, String detail, int line) {
        String where = line > 0 ? " (template line " + line + ")" : "";
        return switch (kind) {
            case RAISED -> "chat template raised: " + detail + where;
            case UNSUPPORTED -> "unsupported in chat template: " + detail + where;
            case ERROR -> "chat template error: " + detail + where;
        };
    }

    public Kind kind() {
        return kind;
    }

    /** The template's own message for {@link Kind#RAISED}; otherwise what failed. */
    public String detail() {
        return detail;
    }

    /** 1-based line in the template, or -1 when unknown. */
    public int line() {
        return line;
    }
}

package dev.plinth.text.template;

import com.hubspot.jinjava.interpret.TemplateError;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns Jinjava's collected template errors into one {@link ChatTemplateException}. */
final class TemplateErrors {
    private static final Pattern UNKNOWN_NAME =
            Pattern.compile("Could not resolve function '([^']*)'|Unknown tag: ([A-Za-z_][A-Za-z0-9_]*)");

    private TemplateErrors() {
    }

    /**
     * Every error fails the render except a missing attribute or key, which Jinja2 answers with
     * its undefined value ({@code message.tool_calls} on a plain message).
     */
    static boolean isFailure(TemplateError error) {
        return !(error.getReason() == TemplateError.ErrorReason.UNKNOWN
                && error.getItem() == TemplateError.ErrorItem.PROPERTY);
    }

    static ChatTemplateException toException(TemplateError error) {
        // The first failure is the one Jinja2 would have stopped at; later ones may be its effects.
        RaisedByTemplate raised = cause(error.getException(), RaisedByTemplate.class);
        if (raised != null) {
            return new ChatTemplateException(ChatTemplateException.Kind.RAISED, raised.getMessage(), error.getLineno());
        }
        UnsupportedConstruct unsupported = cause(error.getException(), UnsupportedConstruct.class);
        if (unsupported != null) {
            return new ChatTemplateException(ChatTemplateException.Kind.UNSUPPORTED, unsupported.getMessage(), error.getLineno());
        }
        UndefinedOperand undefined = cause(error.getException(), UndefinedOperand.class);
        if (undefined != null) {
            return new ChatTemplateException(ChatTemplateException.Kind.ERROR, undefined.getMessage(), error.getLineno());
        }
        String message = String.valueOf(error.getMessage());
        Matcher named = UNKNOWN_NAME.matcher(message);
        if (named.find()) {
            String what = named.group(1) != null ? "function '" + named.group(1) + "'" : "tag '" + named.group(2) + "'";
            return new ChatTemplateException(ChatTemplateException.Kind.UNSUPPORTED, what, error.getLineno());
        }
        if (message.startsWith("Error parsing")) {
            return new ChatTemplateException(ChatTemplateException.Kind.UNSUPPORTED, "expression syntax: " + message,
                    error.getLineno());
        }
        String detail = error.getReason() + " " + error.getItem() + ": " + error.getMessage()
                + (error.getFieldName() == null ? "" : " [" + error.getFieldName() + "]");
        return new ChatTemplateException(ChatTemplateException.Kind.ERROR, detail, error.getLineno());
    }

    static ChatTemplateException fromThrown(RuntimeException e) {
        RaisedByTemplate raised = cause(e, RaisedByTemplate.class);
        if (raised != null) {
            return new ChatTemplateException(ChatTemplateException.Kind.RAISED, raised.getMessage(), -1);
        }
        UnsupportedConstruct unsupported = cause(e, UnsupportedConstruct.class);
        if (unsupported != null) {
            return new ChatTemplateException(ChatTemplateException.Kind.UNSUPPORTED, unsupported.getMessage(), -1);
        }
        return new ChatTemplateException(ChatTemplateException.Kind.ERROR, e.toString(), -1);
    }

    private static <T extends Throwable> T cause(Throwable t, Class<T> type) {
        for (int depth = 0; t != null && depth < 32; t = t.getCause(), depth++) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}

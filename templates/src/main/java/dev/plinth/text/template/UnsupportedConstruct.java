package dev.plinth.text.template;

/**
 * Thrown from inside rendering when the template uses something we do not implement; Jinjava
 * records it as a template error and {@link ChatTemplate} turns it into a
 * {@link ChatTemplateException} of kind {@code UNSUPPORTED}.
 */
final class UnsupportedConstruct extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnsupportedConstruct(String construct) {
        super(construct);
    }
}

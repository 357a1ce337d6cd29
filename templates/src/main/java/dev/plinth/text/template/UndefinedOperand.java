package dev.plinth.text.template;

/** An operand of {@code +} was undefined or none, where Jinja2 raises UndefinedError or TypeError. */
final class UndefinedOperand extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UndefinedOperand() {
        super("an undefined or none operand of '+' (Jinja2 raises UndefinedError or TypeError)");
    }
}

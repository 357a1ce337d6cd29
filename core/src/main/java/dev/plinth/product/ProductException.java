package dev.plinth.product;

/**
 * A product or store operation that cannot go on for a reason the user can fix (a missing product,
 * a corrupt blob, a Plinthfile error, an adapter that does not fit); the message says what and where.
 */
public class ProductException extends RuntimeException {

    public ProductException(String message) {
        super(message);
    }

    public ProductException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.plinth.product;

/** A product name that the store does not hold. */
public final class NoSuchProductException extends ProductException {

    NoSuchProductException(ProductName name) {
        super("no product named " + name + " in the store (plinth list shows them)");
    }
}

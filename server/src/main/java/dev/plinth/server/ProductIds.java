package dev.plinth.server;

/** Model ids: a product's {@code name:tag}, where {@code name} alone means {@code name:latest}. */
final class ProductIds {

    private static final String LATEST = ":latest";

    private ProductIds() {
    }

    static String withoutLatest(String id) {
        return id.endsWith(LATEST) ? id.substring(0, id.length() - LATEST.length()) : id;
    }

    /** The id under which a model is looked up: tags other than latest kept, latest added when none is given. */
    static String canonical(String id) {
        int slash = id.lastIndexOf('/');
        return id.indexOf(':', slash + 1) >= 0 ? id : id + LATEST;
    }
}

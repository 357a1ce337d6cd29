package dev.plinth.product;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A product's name in the store: {@code name[:tag]}, the tag {@code latest} when absent. A name is
 * one segment, or two ({@code namespace/model}, as imported from Ollama), each of letters, digits,
 * {@code .}, {@code _} and {@code -} starting with a letter or digit; a tag is what OCI allows
 * ({@code [A-Za-z0-9_][A-Za-z0-9._-]{0,127}}). Its manifest is {@code manifests/<name>/<tag>}.
 */
public record ProductName(String name, String tag) {

    public static final String DEFAULT_TAG = "latest";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127})?");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

    public ProductName {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + name + "' is not a product name: letters, digits, '.', '_' and '-', "
                    + "starting with a letter or digit, optionally namespace/name");
        }
        if (tag == null || !TAG.matcher(tag).matches()) {
            throw new IllegalArgumentException("'" + tag + "' is not a tag: letters, digits, '.', '_' and '-' (at most 128)");
        }
    }

    /** Parses {@code name[:tag]}. */
    public static ProductName parse(String text) {
        int colon = text.lastIndexOf(':');
        return colon < 0 ? new ProductName(text, DEFAULT_TAG)
                : new ProductName(text.substring(0, colon), text.substring(colon + 1));
    }

    /** Whether {@code text} parses as a product name. */
    public static boolean isValid(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The manifest's path below {@code manifests/}. */
    Path manifestPath(Path manifests) {
        return manifests.resolve(name).resolve(tag);
    }

    @Override
    public String toString() {
        return name + ":" + tag;
    }
}

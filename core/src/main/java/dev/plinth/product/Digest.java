package dev.plinth.product;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A SHA-256 content digest, written {@code sha256:<64 hex digits>} in manifests (as OCI and Ollama
 * write it) and {@code sha256-<hex>} as a blob's file name.
 */
public record Digest(String hex) {

    private static final String PREFIX = "sha256:";
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
    private static final int CHUNK = 1 << 16;

    public Digest {
        if (hex == null || !HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("not a SHA-256 digest (64 lower-case hex digits): " + hex);
        }
    }

    /** Parses {@code sha256:<hex>}; anything else is an {@link IllegalArgumentException}. */
    public static Digest parse(String text) {
        if (text == null || !text.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a sha256 digest: " + text);
        }
        return new Digest(text.substring(PREFIX.length()));
    }

    /** The digest of a blob file name {@code sha256-<hex>}, or null when the name is not one. */
    static Digest ofFileName(String name) {
        if (name.startsWith("sha256-") && HEX.matcher(name.substring(7)).matches()) {
            return new Digest(name.substring(7));
        }
        return null;
    }

    public static Digest of(byte[] bytes) {
        return new Digest(HexFormat.of().formatHex(sha256().digest(bytes)));
    }

    /** The digest of a file's content, read once in chunks (links are followed). */
    public static Digest ofFile(Path file) throws IOException {
        MessageDigest md = sha256();
        ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (ch.read(buffer.clear()) >= 0) {
                md.update(buffer.flip());
            }
        }
        return new Digest(HexFormat.of().formatHex(md.digest()));
    }

    /** The digest of everything {@code in} yields (not closed). */
    static Digest ofStream(InputStream in) throws IOException {
        MessageDigest md = sha256();
        byte[] buffer = new byte[CHUNK];
        for (int n; (n = in.read(buffer)) > 0; ) {
            md.update(buffer, 0, n);
        }
        return new Digest(HexFormat.of().formatHex(md.digest()));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** A blob's file name: {@code sha256-<hex>}. */
    public String fileName() {
        return "sha256-" + hex;
    }

    /** The first 12 hex digits, as listings show a digest. */
    public String shortHex() {
        return hex.substring(0, 12);
    }

    /** {@code sha256:<hex>}. */
    @Override
    public String toString() {
        return PREFIX + hex;
    }

    /** Whether {@code file} exists and hashes to this digest. */
    boolean matches(Path file) throws IOException {
        return Files.isRegularFile(file) && ofFile(file).equals(this);
    }
}

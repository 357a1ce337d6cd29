package dev.plinth.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * API keys, stored hashed: a text file of lines {@code sha256:<hex of the key's SHA-256> SCOPE},
 * where SCOPE is {@code *} (every product) or product names separated by commas; blank lines and
 * {@code #} comments are skipped. The server hashes the bearer token of each request and looks the
 * hash up, so the file never holds a key.
 */
public final class ApiKeys {

    /** The products a key may use. */
    record Scope(boolean everything, Set<String> products) {
        boolean allows(String model) {
            return everything || products.contains(model) || products.contains(ProductIds.withoutLatest(model));
        }
    }

    private final Map<String, Scope> byHash;

    private ApiKeys(Map<String, Scope> byHash) {
        this.byHash = byHash;
    }

    /** Reads a key file; a malformed line is an error naming file and line. */
    public static ApiKeys read(Path file) throws IOException {
        Map<String, Scope> byHash = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length != 2 || !parts[0].matches("sha256:[0-9a-f]{64}")) {
                throw new IOException(file + ":" + (i + 1) + ": expected 'sha256:<64 hex digits> PRODUCT[,PRODUCT...]' or "
                        + "'sha256:<64 hex digits> *', not '" + line + "'");
            }
            Scope scope = parts[1].equals("*") ? new Scope(true, Set.of())
                    : new Scope(false, Set.of(parts[1].split(",")));
            byHash.put(parts[0].substring("sha256:".length()), scope);
        }
        return new ApiKeys(byHash);
    }

    /** The scope of {@code key}, or empty when it is not a key of this file. */
    Optional<Scope> scope(String key) {
        return Optional.ofNullable(byHash.get(hash(key)));
    }

    /** The SHA-256 of a key, in lower-case hex: what the key file holds. */
    public static String hash(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** A fresh random key ({@code plinth-} and 32 random bytes in hex). */
    public static String newKey() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return "plinth-" + HexFormat.of().formatHex(bytes);
    }

    /** The key file line for {@code key} with {@code scope} ({@code *} or comma-separated products). */
    public static String line(String key, String scope) {
        return "sha256:" + hash(key) + " " + scope;
    }
}

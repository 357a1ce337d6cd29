package dev.plinth;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real data under {@code ../shared/data} (system property {@code plinth.shared}). Tests that
 * need it call {@link #require(String)}, which skips them with a printed reason when it is absent.
 */
public final class SharedData {
    private SharedData() {
    }

    public static Path root() {
        return Path.of(System.getProperty("plinth.shared", "../shared")).toAbsolutePath().normalize();
    }

    /** {@code data/<relative>} under the shared folder; skips the calling test when it is missing. */
    public static Path require(String relative) {
        Path p = root().resolve("data").resolve(relative);
        if (!Files.exists(p)) {
            String reason = "shared data not found: " + p + " (set -Dplinth.shared to the folder holding data/)";
            System.err.println("SKIPPED: " + reason);
            assumeTrue(false, reason);
        }
        return p;
    }
}

package dev.plinth.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The real data under {@code ../shared/data} (property {@code plinth.shared}); skips tests when absent. */
final class SharedData {
    private SharedData() {
    }

    static Path require(String relative) {
        Path p = Path.of(System.getProperty("plinth.shared", "../shared")).toAbsolutePath().normalize()
                .resolve("data").resolve(relative);
        if (!Files.exists(p)) {
            String reason = "shared data not found: " + p + " (set -Dplinth.shared to the folder holding data/)";
            System.err.println("SKIPPED: " + reason);
            assumeTrue(false, reason);
        }
        return p;
    }
}

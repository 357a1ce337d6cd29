package dev.plinth.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * Time since this process started (for {@code ./plinth} that is the launcher script's start: it
 * {@code exec}s the JVM in the same process).
 *
 * <p>On Linux it is read from the boot-relative clock: {@code /proc/uptime} now minus the start in
 * {@code /proc/self/stat}, in the kernel's fixed 100 ticks per second (USER_HZ), so 10 ms
 * resolution. {@link ProcessHandle.Info#startInstant()} adds the boot time from
 * {@code /proc/stat}, which the kernel rounds down to whole seconds, so durations measured from it
 * came out too long by the boot time's fraction of a second (0.58 s on one machine here).
 * Elsewhere that is the fallback.
 */
final class ProcessClock {
    private static final double TICKS_PER_SECOND = 100;

    private ProcessClock() {
    }

    static Duration sinceStart() {
        try {
            double uptime = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).trim().split("\\s+")[0]);
            double started = startTicks(Files.readString(Path.of("/proc/self/stat"))) / TICKS_PER_SECOND;
            return Duration.ofNanos(Math.round((uptime - started) * 1e9));
        } catch (IOException | RuntimeException notLinux) {
            Instant started = ProcessHandle.current().info().startInstant().orElse(Instant.now());
            return Duration.between(started, Instant.now());
        }
    }

    /** Field 22 of {@code /proc/<pid>/stat}, counted after the command name (which may hold spaces and parentheses). */
    static long startTicks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[22 - 3]);
    }
}

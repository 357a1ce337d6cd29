package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class ProcessClockTest {
    @Test
    void startTicksAreField22EvenWhenTheCommandNameHasSpacesAndParentheses() {
        String stat = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 1 0 0 20 0 19 0 987654 123456 789 18446744073709551615";
        assertEquals(987654, ProcessClock.startTicks(stat));
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void agreesWithTheJvmsOwnUptime() {
        // the JVM's uptime starts when the VM is created, a few milliseconds after the process; the
        // old reading (boot time rounded down to seconds) was up to a second long
        long jvmBefore = ManagementFactory.getRuntimeMXBean().getUptime();
        Duration process = ProcessClock.sinceStart();
        long jvmAfter = ManagementFactory.getRuntimeMXBean().getUptime();
        assertTrue(process.toMillis() >= jvmBefore - 20, process + " vs JVM uptime " + jvmBefore + " ms");
        assertTrue(process.toMillis() <= jvmAfter + 300, process + " vs JVM uptime " + jvmAfter + " ms");
    }
}

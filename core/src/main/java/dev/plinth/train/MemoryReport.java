package dev.plinth.train;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Peak memory of this process: {@code heapPeakBytes}, the sum of the heap pools' peak usage
 * (garbage not yet collected included, and pools peak at different times, so an upper bound that
 * grows with -Xmx); {@code liveHeapPeakBytes}, the largest heap left after a collection among the
 * samples taken (what the run really holds, a lower bound of its need); and, where Linux reports
 * it, the peak resident set size ({@code VmHWM} in {@code /proc/self/status}); -1 where unknown.
 */
public record MemoryReport(long heapPeakBytes, long liveHeapPeakBytes, long rssPeakBytes) {

    /** Measures now, with {@code liveHeapPeak} the largest {@link #liveHeap} sampled so far. */
    public static MemoryReport measure(long liveHeapPeak) {
        long heap = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                heap += pool.getPeakUsage().getUsed();
            }
        }
        return new MemoryReport(heap, Math.max(liveHeapPeak, liveHeap()), peakRssBytes());
    }

    /** The heap in use right after the latest collection of each pool (the live objects, as last seen). */
    public static long liveHeap() {
        long live = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                live += pool.getCollectionUsage().getUsed();
            }
        }
        return live;
    }

    /** Peak resident set size of this process in bytes ({@code VmHWM} from /proc), or -1 where there is none. */
    public static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Resets the heap pools' peaks (so that a run measures itself, not what came before). */
    public static void resetPeaks() {
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "peak heap %s (live after GC %s), peak RSS %s", mib(heapPeakBytes),
                mib(liveHeapPeakBytes), mib(rssPeakBytes));
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "unknown" : String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0);
    }
}

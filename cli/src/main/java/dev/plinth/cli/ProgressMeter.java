package dev.plinth.cli;

import java.util.Locale;

/**
 * A progress bar on standard error: label, bar, percentage, amount done of the total, rate and ETA.
 * On a terminal the line is redrawn in place at most every 200 ms; otherwise (a pipe, a log file, a
 * test) a line is printed at most every 10 s, so logs stay readable. Nothing is shown with
 * {@code --quiet}. A total of 0 or less means unknown: no bar, no ETA. Safe to update from several threads.
 */
final class ProgressMeter {

    enum Unit { BYTES, COUNT }

    private static final int BAR_WIDTH = 24;
    private static final long TERMINAL_EVERY_NANOS = 200_000_000L;
    private static final long LOG_EVERY_NANOS = 10_000_000_000L;

    private final Console console;
    private final boolean terminal;
    private final long everyNanos;
    private String label;
    private Unit unit;
    private long total;
    private long done;
    private long start;
    private long lastDrawn;
    private int lastWidth;
    private boolean open;

    ProgressMeter(Console console, String label, long total, Unit unit) {
        this.console = console;
        this.terminal = console.interactive();
        this.everyNanos = terminal ? TERMINAL_EVERY_NANOS : LOG_EVERY_NANOS;
        phase(label, total, unit);
    }

    /** Starts a new phase (e.g. counting, then merging): the rate and ETA restart from zero. */
    synchronized void phase(String label, long total, Unit unit) {
        if (open) {
            finish();
        }
        this.label = label;
        this.total = total;
        this.unit = unit;
        this.done = 0;
        this.start = System.nanoTime();
        this.lastDrawn = start;
    }

    /** Raises the total when the estimate proved short. */
    synchronized void total(long total) {
        this.total = total;
    }

    /** Records {@code done} units so far and redraws when due. */
    synchronized void update(long done) {
        this.done = done;
        open = true;
        long now = System.nanoTime();
        if (now - lastDrawn >= everyNanos) {
            lastDrawn = now;
            draw(false);
        }
    }

    /** Draws the final state of this phase and ends its line. */
    synchronized void finish() {
        if (open) {
            draw(true);
        }
        open = false;
    }

    private void draw(boolean last) {
        if (console.quiet()) {
            return;
        }
        String line = line(last);
        if (terminal) {
            String pad = " ".repeat(Math.max(0, lastWidth - line.length()));
            console.err().print("\r" + line + pad + (last ? "\n" : ""));
            console.err().flush();
            lastWidth = last ? 0 : line.length();
        } else {
            console.err().println(line);
        }
    }

    String line(boolean last) {
        double seconds = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
        double rate = done / seconds;
        StringBuilder sb = new StringBuilder("plinth: ").append(label);
        long shownTotal = last ? done : total;
        if (shownTotal > 0) {
            double fraction = Math.min(1.0, done / (double) shownTotal);
            int filled = (int) Math.round(fraction * BAR_WIDTH);
            sb.append(" [").append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ")
                    .append(String.format(Locale.ROOT, "%3d%%", (int) Math.floor(fraction * 100)));
            sb.append("  ").append(amount(done)).append(" / ").append(amount(shownTotal));
        } else {
            sb.append("  ").append(amount(done));
        }
        sb.append("  ").append(amount((long) rate)).append("/s");
        if (last) {
            sb.append("  in ").append(duration(seconds));
        } else if (seconds >= 2 && shownTotal > 0 && rate > 0 && done < shownTotal) { // no ETA from a cold start
            sb.append("  ETA ").append(duration((shownTotal - done) / rate));
        }
        return sb.toString();
    }

    private String amount(long n) {
        return unit == Unit.BYTES ? TextFormat.bytes(n) : TextFormat.approximate(n);
    }

    /** {@code m:ss} or {@code h:mm:ss}; "?" when unknown (NaN, negative or infinite). */
    static String duration(double seconds) {
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            return "?";
        }
        long s = Math.round(seconds);
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}

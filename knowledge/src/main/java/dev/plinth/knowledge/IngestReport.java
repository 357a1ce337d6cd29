package dev.plinth.knowledge;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What an ingest did: files added, changed (re-embedded), unchanged, removed and skipped (with why). */
public final class IngestReport {

    /** A file left out, and why. */
    public record Skipped(String path, String reason) {
    }

    private final List<String> added = new ArrayList<>();
    private final List<String> changed = new ArrayList<>();
    private final List<String> removed = new ArrayList<>();
    private final List<Skipped> skipped = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private int unchanged;
    private int documents;
    private int chunks;
    private double seconds;

    public List<String> added() {
        return List.copyOf(added);
    }

    public List<String> changed() {
        return List.copyOf(changed);
    }

    public List<String> removed() {
        return List.copyOf(removed);
    }

    public List<Skipped> skipped() {
        return List.copyOf(skipped);
    }

    /** Records skipped within files that were read (a JSONL line without its id, a repeated id). */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    public int unchanged() {
        return unchanged;
    }

    /** Documents read from the added and changed files. */
    public int documents() {
        return documents;
    }

    /** Chunks embedded (those of the added and changed files). */
    public int chunks() {
        return chunks;
    }

    public double seconds() {
        return seconds;
    }

    void add(String path, boolean isNew, int documentCount, int chunkCount) {
        (isNew ? added : changed).add(path);
        documents += documentCount;
        chunks += chunkCount;
    }

    void countUnchanged() {
        unchanged++;
    }

    void removed(String path) {
        removed.add(path);
    }

    void skipped(String path, String reason) {
        skipped.add(new Skipped(path, reason));
    }

    void warning(String path, String message) {
        warnings.add(path + ": " + message);
    }

    void seconds(double s) {
        seconds = s;
    }

    /** The report as text: a summary line, then one line per skipped file and warning. */
    public String toText() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "%d added, %d changed, %d unchanged, %d removed, %d skipped; %d documents, %d chunks embedded in %.1f s%n",
                added.size(), changed.size(), unchanged, removed.size(), skipped.size(), documents, chunks, seconds));
        for (Skipped s : skipped) {
            sb.append("skipped ").append(s.path()).append(": ").append(s.reason()).append('\n');
        }
        for (String w : warnings) {
            sb.append("warning ").append(w).append('\n');
        }
        return sb.toString();
    }
}

package dev.plinth.spark;

import dev.plinth.train.corpus.CorpusSource;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * One {@link CorpusSource#parts() part} of a corpus source as a task carries it to an executor
 * (a {@link Path} is not serializable), with the index of the source it belongs to.
 */
record SourcePart(int source, Kind kind, String name, String path, List<String> extensions, String field,
                  boolean paragraphs, double weight) implements Serializable {

    enum Kind { TEXT, JSONL, ARCHIVE }

    static SourcePart of(int source, CorpusSource part) {
        return switch (part) {
            case CorpusSource.Text t -> new SourcePart(source, Kind.TEXT, t.name(), t.path().toString(),
                    List.copyOf(t.extensions()), null, t.splitParagraphs(), t.weight());
            case CorpusSource.Jsonl j -> new SourcePart(source, Kind.JSONL, j.name(), j.path().toString(), List.of(),
                    j.field(), false, j.weight());
            case CorpusSource.Archive a -> new SourcePart(source, Kind.ARCHIVE, a.name(), a.path().toString(),
                    List.copyOf(a.extensions()), null, false, a.weight());
            case CorpusSource.Auto a -> throw new IllegalArgumentException("not a single part: " + a);
        };
    }

    /** The source this part reads, rebuilt where it runs. */
    CorpusSource toSource() {
        Path file = Path.of(path);
        return switch (kind) {
            case TEXT -> new CorpusSource.Text(name, file, Set.copyOf(extensions), paragraphs, weight);
            case JSONL -> new CorpusSource.Jsonl(name, file, field, weight);
            case ARCHIVE -> new CorpusSource.Archive(name, file, Set.copyOf(extensions), weight);
        };
    }
}

package dev.plinth.spark;

import dev.plinth.train.corpus.CorpusSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * One part of a corpus source (a file or archive, as {@link CorpusSource#parts()} would give it) as a task
 * carries it to an executor: the reader's settings, the index of the source it belongs to, and the file's URI,
 * which the executor opens through Hadoop's file system API.
 */
record SourcePart(int source, Kind kind, String name, String uri, List<String> extensions, String field,
                  boolean paragraphs, double weight) implements Serializable {

    enum Kind { TEXT, JSONL, ARCHIVE }

    /** {@code part} (a single file's reader, its path standing for the file) read from {@code uri}. */
    static SourcePart of(int source, CorpusSource part, String uri) {
        return switch (part) {
            case CorpusSource.Text t -> new SourcePart(source, Kind.TEXT, t.name(), uri, List.copyOf(t.extensions()), null,
                    t.splitParagraphs(), t.weight());
            case CorpusSource.Jsonl j -> new SourcePart(source, Kind.JSONL, j.name(), uri, List.of(), j.field(), false, j.weight());
            case CorpusSource.Archive a -> new SourcePart(source, Kind.ARCHIVE, a.name(), uri, List.copyOf(a.extensions()), null,
                    false, a.weight());
            case CorpusSource.Auto a -> throw new IllegalArgumentException("not a single part: " + a);
        };
    }

    /** Reads this part's documents, as its source would read the file, from the file system its URI names. */
    void forEach(HadoopFiles files, CorpusSource.DocumentSink sink) throws IOException {
        Path standIn = HadoopFiles.standIn(new org.apache.hadoop.fs.Path(URI.create(uri)));
        try (InputStream in = files.open(uri)) {
            switch (kind) {
                case TEXT -> new CorpusSource.Text(name, standIn, Set.copyOf(extensions), paragraphs, weight).read(in, uri, sink);
                case JSONL -> new CorpusSource.Jsonl(name, standIn, field, weight).read(in, uri, sink);
                case ARCHIVE -> new CorpusSource.Archive(name, standIn, Set.copyOf(extensions), weight).read(in, uri, sink);
            }
        }
    }
}

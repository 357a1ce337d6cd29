package dev.plinth.spark;

import dev.plinth.cli.SourceSpec;
import dev.plinth.knowledge.IngestFiles;
import org.apache.hadoop.fs.FileStatus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.List;

/**
 * A knowledge ingest's files read through Hadoop's file system API ({@link HadoopFiles}): a URI names its file
 * as Hadoop qualifies it ({@code file:/docs/a.md}, {@code hdfs://nn/docs/a.md}); a plain path names a local file
 * by its absolute path, as {@code plinth} records it, and is read through Hadoop's local file system.
 */
record HadoopIngestFiles(HadoopFiles hadoop) implements IngestFiles {

    @Override
    public String absolute(String location) {
        return SourceSpec.isUri(location) ? HadoopFiles.qualified(location).toString() : IngestFiles.LOCAL.absolute(location);
    }

    @Override
    public List<String> files(String location) throws IOException {
        FileStatus root;
        try {
            root = hadoop.status(location);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        boolean uri = SourceSpec.isUri(location);
        return hadoop.files(root).stream().map(f -> uri ? f.getPath().toString() : f.getPath().toUri().getPath()).toList();
    }

    @Override
    public Attributes attributes(String file) throws IOException {
        FileStatus status = hadoop.status(file);
        return new Attributes(status.getLen(), status.getModificationTime());
    }

    @Override
    public byte[] read(String file) throws IOException {
        try (InputStream in = hadoop.open(HadoopFiles.qualified(file).toUri().toString())) {
            return in.readAllBytes();
        }
    }
}

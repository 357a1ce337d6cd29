package dev.plinth.knowledge;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.stream.Stream;

/**
 * The file system an ingest's files are on: this machine's ({@link #LOCAL}), or another one its workers read
 * (Hadoop's, on Spark: {@code hdfs://}, {@code s3a://}, {@code file://} URIs). A location is a path or a URI;
 * a file is named by its absolute location, which the knowledge base records as the file's source.
 */
public interface IngestFiles extends Serializable {

    /** Local files: a location is a path. */
    IngestFiles LOCAL = new Local();

    /** {@code location} as the knowledge base records it: an absolute, normalised path, or a qualified URI. */
    String absolute(String location);

    /** Every regular file at or below the absolute {@code location} (itself when it is a file); none when nothing is there. */
    List<String> files(String location) throws IOException;

    /** The size and modification time of {@code file}. */
    Attributes attributes(String file) throws IOException;

    /** The bytes of {@code file}. */
    byte[] read(String file) throws IOException;

    /** A file's size in bytes and its modification time in milliseconds since the epoch. */
    record Attributes(long size, long modified) implements Serializable {
    }

    /** This machine's file system. */
    final class Local implements IngestFiles {
        private Local() {
        }

        @Override
        public String absolute(String location) {
            if (location.matches("[A-Za-z][A-Za-z0-9+.-]+:.*")) {
                throw new KnowledgeException(location + " is a URI; plinth reads files from local paths, plinth-spark also"
                        + " from Hadoop file systems (hdfs://, s3a://, file://)");
            }
            return Path.of(location).toAbsolutePath().normalize().toString();
        }

        @Override
        public List<String> files(String location) throws IOException {
            Path p = Path.of(location);
            if (!Files.exists(p)) {
                return List.of();
            }
            try (Stream<Path> s = Files.walk(p)) {
                return s.filter(Files::isRegularFile).map(Path::toString).toList();
            }
        }

        @Override
        public Attributes attributes(String file) throws IOException {
            BasicFileAttributes a = Files.readAttributes(Path.of(file), BasicFileAttributes.class);
            return new Attributes(a.size(), a.lastModifiedTime().toMillis());
        }

        @Override
        public byte[] read(String file) throws IOException {
            return Files.readAllBytes(Path.of(file));
        }

        private Object readResolve() {
            return LOCAL;
        }
    }
}

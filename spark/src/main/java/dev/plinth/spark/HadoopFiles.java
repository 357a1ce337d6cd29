package dev.plinth.spark;

import dev.plinth.cli.SourceSpec;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sources on any Hadoop file system, read through Hadoop's {@link FileSystem} API with the session's Hadoop
 * configuration: listed on the driver, opened on the executors. A location is a URI ({@code hdfs://nn/crawl},
 * {@code s3a://bucket/docs}, {@code file:///data}) or a plain path, which names a local file as it does for
 * {@code plinth} (not one on the cluster's default file system). Folders are listed as {@code plinth} lists
 * local ones: every file below, sorted by path, so the documents come in the same order.
 */
final class HadoopFiles implements Serializable {

    /** The Hadoop configuration's entries ({@link Configuration} is not serializable). */
    private final Map<String, String> settings;
    private transient Configuration configuration;

    HadoopFiles(JavaSparkContext sc) {
        this.settings = new HashMap<>();
        sc.hadoopConfiguration().forEach(e -> settings.put(e.getKey(), e.getValue()));
    }

    /** {@code location} qualified: a URI as given, a plain path as an absolute {@code file:} one. */
    static Path qualified(String location) {
        if (SourceSpec.isUri(location)) {
            return new Path(location);
        }
        return new Path(java.nio.file.Path.of(location).toAbsolutePath().normalize().toUri());
    }

    /**
     * A local path standing for {@code p} where only its name and place below a folder matter (which reader a
     * file gets, a document's id): the path part of its URI.
     */
    static java.nio.file.Path standIn(Path p) {
        return java.nio.file.Path.of(p.toUri().getPath());
    }

    /** What is at {@code location}: a missing one is a {@link NoSuchFileException}, an unknown scheme says so. */
    FileStatus status(String location) throws IOException {
        Path p = qualified(location);
        try {
            return fileSystem(p).getFileStatus(p);
        } catch (FileNotFoundException e) {
            throw new NoSuchFileException(location);
        }
    }

    /** Every file at or below {@code root}, sorted by path as {@code plinth} sorts a local folder's files. */
    List<FileStatus> files(FileStatus root) throws IOException {
        if (!root.isDirectory()) {
            return List.of(root);
        }
        List<FileStatus> files = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> it = fileSystem(root.getPath()).listFiles(root.getPath(), true);
        while (it.hasNext()) {
            files.add(it.next());
        }
        files.sort(Comparator.comparing(f -> standIn(f.getPath())));
        return files;
    }

    /** The bytes of the file at {@code uri} (as {@link #status} or {@link #files} named it). */
    InputStream open(String uri) throws IOException {
        Path p = new Path(URI.create(uri));
        return fileSystem(p).open(p);
    }

    private FileSystem fileSystem(Path p) throws IOException {
        try {
            return p.getFileSystem(configuration());
        } catch (UnsupportedFileSystemException e) {
            throw new IOException(p + ": no Hadoop file system for scheme '" + p.toUri().getScheme() + "' on the class path"
                    + " (file and hdfs are Spark's; s3a needs hadoop-aws and the AWS SDK on the driver and executors)", e);
        }
    }

    private Configuration configuration() {
        if (configuration == null) {
            Configuration c = new Configuration(false);
            settings.forEach(c::set);
            configuration = c;
        }
        return configuration;
    }
}

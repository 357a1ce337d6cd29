package dev.plinth.cli;

import dev.plinth.train.corpus.CorpusSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * One {@code --source} of {@code plinth corpus build}: {@code NAME=PATH[:WEIGHT][,OPTION...]} with the
 * options {@code jsonl-field=F} (default {@code text}), {@code ext=java+md} (extensions read from
 * folders and archives; default {@link CorpusSource.Auto#DEFAULT_EXTENSIONS}) and {@code paragraphs}
 * (a text file's blank-line-separated paragraphs are separate documents).
 *
 * <p>The weight is the expected number of times each training document of the source is written
 * (2 doubles it, 0.5 keeps about half); a {@code :} after the path starts it only when what follows
 * contains no {@code /}, so a path whose last part holds a colon needs an explicit {@code :1}.
 *
 * <p>The location is a local path, or a URI ({@code hdfs://nn/crawl/}, {@code s3a://bucket/x}, {@code file:///data})
 * that only a {@link ScaleOut} reading Hadoop file systems reads ({@link ScaleOut#checkSource}).
 */
public record SourceSpec(String name, String location, double weight, String jsonlField, Set<String> extensions,
                         boolean paragraphs) {

    static final String DEFAULT_JSONL_FIELD = "text";
    /** A scheme of two or more characters and a colon: {@code C:\\data} stays a path. */
    private static final java.util.regex.Pattern URI = java.util.regex.Pattern.compile("[A-Za-z][A-Za-z0-9+.-]+:.*");

    /** Parses a spec; a syntax error is an {@link IllegalArgumentException} whose message says what is expected. */
    static SourceSpec parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("'" + spec + "' is not NAME=PATH[:WEIGHT][,jsonl-field=F][,ext=A+B][,paragraphs]"
                    + " (e.g. prose=books/:2 or code=src.jar:0.5)");
        }
        String name = spec.substring(0, eq).strip();
        String[] parts = spec.substring(eq + 1).split(",", -1);
        String location = parts[0];
        double weight = 1.0;
        int colon = location.lastIndexOf(':');
        if (colon >= 0 && location.indexOf('/', colon) < 0) {
            weight = weight(location.substring(colon + 1), spec);
            location = location.substring(0, colon);
        }
        if (location.isBlank()) {
            throw new IllegalArgumentException("no path in source '" + spec + "'");
        }
        String field = DEFAULT_JSONL_FIELD;
        Set<String> extensions = CorpusSource.Auto.DEFAULT_EXTENSIONS;
        boolean paragraphs = false;
        for (int i = 1; i < parts.length; i++) {
            String option = parts[i].strip();
            int e = option.indexOf('=');
            String key = e < 0 ? option : option.substring(0, e);
            String value = e < 0 ? "" : option.substring(e + 1);
            switch (key) {
                case "jsonl-field" -> {
                    if (value.isEmpty()) {
                        throw new IllegalArgumentException("empty jsonl-field in source '" + spec + "'");
                    }
                    field = value;
                }
                case "ext" -> extensions = extensions(value, spec);
                case "paragraphs" -> paragraphs = e < 0 || Boolean.parseBoolean(value);
                default -> throw new IllegalArgumentException("unknown option '" + key + "' in source '" + spec
                        + "' (known: jsonl-field=F, ext=A+B, paragraphs)");
            }
        }
        return new SourceSpec(name, location, weight, field, extensions, paragraphs);
    }

    /** A source of weight 1 for a bare path, named after its file name. */
    static SourceSpec ofPath(Path path, String jsonlField) {
        Path file = path.getFileName();
        return new SourceSpec(file == null ? path.toString() : file.toString(), path.toString(), 1.0, jsonlField,
                CorpusSource.Auto.DEFAULT_EXTENSIONS, false);
    }

    private static double weight(String text, String spec) {
        double w;
        try {
            w = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad weight '" + text + "' in source '" + spec
                    + "': expected a number >= 0 after the last ':' (e.g. prose=books/:2)");
        }
        if (!(w >= 0) || Double.isInfinite(w)) {
            throw new IllegalArgumentException("bad weight '" + text + "' in source '" + spec + "': must be finite and >= 0");
        }
        return w;
    }

    private static Set<String> extensions(String value, String spec) {
        Set<String> out = new LinkedHashSet<>();
        for (String e : value.split("\\+")) {
            String ext = e.strip().toLowerCase(Locale.ROOT);
            ext = ext.startsWith(".") ? ext.substring(1) : ext;
            if (!ext.isEmpty()) {
                out.add(ext);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("empty ext= in source '" + spec + "' (e.g. ext=java+md)");
        }
        return out;
    }

    /** Whether the location is a URI (a scheme before a colon) rather than a local path. */
    public boolean isUri() {
        return isUri(location);
    }

    /** Whether {@code location} is a URI (a scheme of two or more characters before a colon) rather than a local path. */
    public static boolean isUri(String location) {
        return URI.matcher(location).matches();
    }

    /** The location as a local path; a URI is a {@link CliException}. */
    public Path path() {
        if (isUri()) {
            throw new CliException("source '" + name + "': " + location + " is a URI; plinth reads sources from local paths,"
                    + " plinth-spark also from Hadoop file systems (hdfs://, s3a://, file://)");
        }
        return Path.of(location);
    }

    /**
     * The library source for this spec: a {@code .jsonl} file as JSONL, a {@code .zip}/{@code .jar} as
     * an archive, another file as text, a folder as {@link CorpusSource.Auto}. The path must exist.
     */
    CorpusSource source() throws NoSuchFileException {
        Path path = path();
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString());
        }
        return source(path, Files.isDirectory(path));
    }

    /**
     * The library source for this spec found at {@code path}, a folder or a file (a stand-in path for one on
     * another file system: only its name is looked at here, and a worker opens the file through that system).
     */
    public CorpusSource source(Path path, boolean folder) {
        if (folder) {
            return new CorpusSource.Auto(name, path, extensions, jsonlField, paragraphs, weight);
        }
        String lower = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (lower.endsWith(".jsonl")) {
            return new CorpusSource.Jsonl(name, path, jsonlField, weight);
        }
        if (lower.endsWith(".zip") || lower.endsWith(".jar")) {
            return new CorpusSource.Archive(name, path, extensions, weight);
        }
        return new CorpusSource.Text(name, path, Set.of(), paragraphs, weight);
    }

    /**
     * About how many bytes the source will yield, for a progress bar: file sizes, and the
     * uncompressed sizes of the archive entries that will be read.
     */
    long estimatedBytes() {
        if (isUri()) {
            return 0;
        }
        Path path = path();
        try {
            if (!Files.isDirectory(path)) {
                return fileBytes(path, true);
            }
            try (Stream<Path> walk = Files.walk(path)) {
                return walk.filter(Files::isRegularFile).mapToLong(p -> fileBytes(p, false)).sum();
            }
        } catch (IOException e) {
            return 0;
        }
    }

    private long fileBytes(Path file, boolean named) {
        String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try {
            if (lower.endsWith(".zip") || lower.endsWith(".jar")) {
                long sum = 0;
                try (ZipFile zip = new ZipFile(file.toFile())) {
                    for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                        ZipEntry entry = e.nextElement();
                        if (!entry.isDirectory() && hasExtension(entry.getName().toLowerCase(Locale.ROOT)) && entry.getSize() > 0) {
                            sum += entry.getSize();
                        }
                    }
                }
                return sum;
            }
            return named || lower.endsWith(".jsonl") || hasExtension(lower) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private boolean hasExtension(String lowerName) {
        for (String ext : extensions) {
            if (lowerName.endsWith("." + ext)) {
                return true;
            }
        }
        return false;
    }
}

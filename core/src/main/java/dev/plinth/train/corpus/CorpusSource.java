package dev.plinth.train.corpus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Where documents come from. Each source streams its documents one at a time (memory is bounded by
 * the largest document), and carries a mixture weight: the expected number of times each of its
 * training documents is written to the shards (2.0 doubles a source, 0.5 keeps half of it).
 */
public sealed interface CorpusSource {

    /** Largest document read, in bytes; longer files or lines are cut to it. */
    int MAX_DOCUMENT_BYTES = 16 << 20;

    String name();

    double weight();

    /** Calls {@code sink} for every document, in a deterministic order. */
    void forEach(DocumentSink sink) throws IOException;

    /**
     * This source as parts (one file or archive each) whose documents, read one part after another,
     * are exactly {@link #forEach}'s: the units another thread or machine can read alone.
     */
    default List<CorpusSource> parts() throws IOException {
        return List.of(this);
    }

    @FunctionalInterface
    interface DocumentSink {
        void accept(Document document) throws IOException;
    }

    /**
     * Plain text or markdown: a file, or every regular file under a folder (sorted by path) whose
     * name ends in one of {@code extensions} (empty: all). One document per file, or per
     * blank-line-separated paragraph when {@code splitParagraphs}.
     */
    record Text(String name, Path path, Set<String> extensions, boolean splitParagraphs, double weight) implements CorpusSource {
        public Text {
            checkWeight(weight);
            extensions = Set.copyOf(extensions);
        }

        @Override
        public List<CorpusSource> parts() throws IOException {
            if (!Files.isDirectory(path)) {
                return List.of(this);
            }
            try (Stream<Path> walk = Files.walk(path)) {
                return walk.filter(Files::isRegularFile).filter(p -> matches(p.getFileName().toString(), extensions)).sorted()
                        .map(file -> (CorpusSource) new Text(name, file, Set.of(), splitParagraphs, weight)).toList();
            }
        }

        @Override
        public void forEach(DocumentSink sink) throws IOException {
            if (Files.isDirectory(path)) {
                for (CorpusSource part : parts()) {
                    part.forEach(sink);
                }
                return;
            }
            try (InputStream in = Files.newInputStream(path)) {
                read(in, path.toString(), sink);
            }
        }

        /** The documents of one file of this source, its bytes read from {@code in}; {@code origin} names it in them. */
        public void read(InputStream in, String origin, DocumentSink sink) throws IOException {
            if (!splitParagraphs) {
                sink.accept(new Document(name, origin, new String(in.readNBytes(MAX_DOCUMENT_BYTES), StandardCharsets.UTF_8)));
                return;
            }
            try (BoundedLines r = new BoundedLines(in, MAX_DOCUMENT_BYTES)) {
                StringBuilder para = new StringBuilder();
                int n = 0;
                for (String line = r.next(); ; line = r.next()) {
                    if (line == null || line.isBlank()) {
                        if (!para.isEmpty()) {
                            sink.accept(new Document(name, origin + "#" + n++, para.toString()));
                            para.setLength(0);
                        }
                        if (line == null) {
                            break;
                        }
                    } else if (para.length() < MAX_DOCUMENT_BYTES) {
                        para.append(line).append('\n');
                    }
                }
            }
        }
    }

    /**
     * JSON Lines: one document per line, the string value of {@code field}; lines whose value is
     * missing or not a string are skipped; a line that is not JSON fails naming file and line.
     */
    record Jsonl(String name, Path path, String field, double weight) implements CorpusSource {
        public Jsonl {
            checkWeight(weight);
        }

        @Override
        public void forEach(DocumentSink sink) throws IOException {
            try (InputStream in = Files.newInputStream(path)) {
                read(in, path.toString(), sink);
            }
        }

        /** The documents of this file, its bytes read from {@code in}; {@code origin} names it in them and in errors. */
        public void read(InputStream in, String origin, DocumentSink sink) throws IOException {
            ObjectMapper json = new ObjectMapper();
            try (BoundedLines r = new BoundedLines(in, MAX_DOCUMENT_BYTES)) {
                int lineNo = 0;
                for (String line = r.next(); line != null; line = r.next()) {
                    lineNo++;
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode value;
                    try {
                        value = json.readTree(line);
                    } catch (JsonProcessingException e) {
                        throw new IOException(origin + ":" + lineNo + ": not a JSON object: " + e.getOriginalMessage(), e);
                    }
                    value = value == null ? null : value.get(field);
                    if (value != null && value.isTextual()) {
                        sink.accept(new Document(name, origin + ":" + lineNo, value.asText()));
                    }
                }
            }
        }
    }

    /** A zip or jar of source code: every entry whose name ends in one of {@code extensions} is a document. */
    record Archive(String name, Path path, Set<String> extensions, double weight) implements CorpusSource {
        public Archive {
            checkWeight(weight);
            extensions = Set.copyOf(extensions);
        }

        @Override
        public void forEach(DocumentSink sink) throws IOException {
            try (InputStream in = Files.newInputStream(path)) {
                read(in, path.toString(), sink);
            }
        }

        /** The documents of this archive, its bytes read from {@code in}; {@code origin} names it in them. */
        public void read(InputStream in, String origin, DocumentSink sink) throws IOException {
            try (ZipInputStream zip = new ZipInputStream(in)) {
                for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                    if (!e.isDirectory() && matches(e.getName(), extensions)) {
                        byte[] bytes = zip.readNBytes(MAX_DOCUMENT_BYTES);
                        sink.accept(new Document(name, origin + "!" + e.getName(), new String(bytes, StandardCharsets.UTF_8)));
                    }
                }
            }
        }
    }

    /**
     * A file or folder read by each file's extension, so one named source can hold mixed material:
     * {@code .jsonl} files as {@link Jsonl} of {@code jsonlField}; {@code .zip} and {@code .jar} files as
     * {@link Archive}s of the entries whose names end in one of {@code extensions}; other files whose
     * names end in one of {@code extensions} as {@link Text} (one document per file, or per paragraph
     * when {@code splitParagraphs}); everything else is skipped. A folder is walked in sorted path
     * order. A path naming one file is read by its extension even when it is not in {@code extensions}.
     */
    record Auto(String name, Path path, Set<String> extensions, String jsonlField, boolean splitParagraphs, double weight)
            implements CorpusSource {

        /** Text and source-code extensions read by default: prose, markup and common programming languages. */
        public static final Set<String> DEFAULT_EXTENSIONS = Set.of(
                "txt", "text", "md", "markdown", "rst", "adoc", "org", "tex",
                "java", "kt", "kts", "scala", "groovy", "clj", "py", "js", "mjs", "ts", "c", "h", "cc", "cpp", "hpp",
                "cs", "go", "rs", "rb", "php", "swift", "sh", "sql", "lua", "hs", "ml", "r", "jl", "pl");

        public Auto {
            checkWeight(weight);
            extensions = Set.copyOf(extensions);
            if (jsonlField == null || jsonlField.isEmpty()) {
                throw new IllegalArgumentException("JSONL field must be named");
            }
        }

        @Override
        public List<CorpusSource> parts() throws IOException {
            if (!Files.isDirectory(path)) {
                return List.of(of(path, true));
            }
            List<Path> files;
            try (Stream<Path> walk = Files.walk(path)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            List<CorpusSource> parts = new ArrayList<>();
            for (Path file : files) {
                CorpusSource s = of(file, false);
                if (s != null) {
                    parts.add(s);
                }
            }
            return parts;
        }

        @Override
        public void forEach(DocumentSink sink) throws IOException {
            for (CorpusSource part : parts()) {
                part.forEach(sink);
            }
        }

        /**
         * The reader of one file of this source ({@code named}: the path named the file itself), or null when a
         * file found in a folder is not one to read.
         */
        public CorpusSource of(Path file, boolean named) {
            String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (lower.endsWith(".jsonl")) {
                return new Jsonl(name, file, jsonlField, weight);
            }
            if (lower.endsWith(".zip") || lower.endsWith(".jar")) {
                return new Archive(name, file, extensions, weight);
            }
            if (named || matches(lower, extensions)) {
                return new Text(name, file, Set.of(), splitParagraphs, weight);
            }
            return null;
        }
    }

    private static boolean matches(String fileName, Set<String> extensions) {
        if (extensions.isEmpty()) {
            return true;
        }
        String lower = fileName.toLowerCase(Locale.ROOT);
        for (String ext : extensions) {
            if (lower.endsWith("." + ext.toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    private static void checkWeight(double weight) {
        if (!(weight >= 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("mixture weight must be finite and >= 0: " + weight);
        }
    }
}

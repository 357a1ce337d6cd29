package dev.plinth.train.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.text.ChatMessage;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads fine-tuning data into {@link Row}s, telling the {@link DataFormat} by content: a folder with
 * a {@code card.json} is a built corpus; otherwise each file (a folder's {@code .jsonl}, {@code .csv},
 * {@code .txt} and {@code .md} files in name order) is looked at: a first line that is a JSON object
 * with {@code messages} is chat, with {@code prompt} and {@code completion} prompt/completion, with
 * {@code text} and {@code label} classification, with {@code text} alone plain text (one document per
 * line); a first line that is a CSV header with {@code text} and {@code label} columns is
 * classification; anything else is a plain text document. All files must be of one format.
 *
 * <p>A row that does not fit its file's format (not JSON, a field missing or of the wrong type, a
 * chat without an assistant turn, an empty completion or label) is a {@link MalformedDataException}
 * naming file and line, or, with {@code skipBad}, is counted in {@link Rows#skipped} and left out.
 */
public final class DataReader {

    /** One usable row, with the file and 1-based line it starts on. */
    public sealed interface Row {
        Path file();

        long line();

        /** A conversation; {@code learned[i]} says whether message i is an assistant turn the loss covers. */
        record Chat(Path file, long line, List<ChatMessage> messages, boolean[] learned) implements Row {
        }

        record PromptCompletion(Path file, long line, String prompt, String completion) implements Row {
        }

        /** A document for continued pretraining. */
        record Text(Path file, long line, String text) implements Row {
        }

        record Labelled(Path file, long line, String text, String label) implements Row {
        }
    }

    /** What was read: the format, the files, the usable rows, and the rows skipped (with why, the first few). */
    public record Rows(DataFormat format, List<Path> files, List<Row> rows, long skipped, List<String> skipReasons) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ROLES = Set.of("system", "user", "assistant");
    private static final Set<String> DOCUMENT_EXTENSIONS = Set.of("txt", "md");
    private static final int REASONS_KEPT = 5;

    private final boolean skipBad;
    private long skipped;
    private final List<String> reasons = new ArrayList<>();

    private DataReader(boolean skipBad) {
        this.skipBad = skipBad;
    }

    /** The format of {@code data} (a file or a folder), by content. */
    public static DataFormat detect(Path data) throws IOException {
        if (Files.isDirectory(data) && Files.isRegularFile(data.resolve("card.json"))) {
            return DataFormat.CORPUS;
        }
        return probe(files(data).getFirst()).format();
    }

    /** Reads every row of {@code data} (not a built corpus, which is read as token shards). */
    public static Rows read(Path data, boolean skipBad) throws IOException {
        DataFormat format = detect(data);
        if (format == DataFormat.CORPUS) {
            throw new IllegalArgumentException(data + " is a built corpus: its token shards are read as they are");
        }
        List<Path> files = files(data);
        DataReader reader = new DataReader(skipBad);
        List<Row> rows = new ArrayList<>();
        for (Path f : files) {
            Probe probe = probe(f);
            if (probe.format() != format) {
                throw new MalformedDataException(f, 1, "is " + probe.format().description() + ", but " + files.getFirst()
                        + " is " + format.description() + "; fine-tune on one format at a time");
            }
            switch (probe.layout()) {
                case JSONL -> reader.readJsonl(f, format, rows);
                case CSV -> reader.readCsv(f, rows);
                case DOCUMENT -> readDocument(f, rows);
            }
        }
        return new Rows(format, files, rows, reader.skipped, List.copyOf(reader.reasons));
    }

    /** The data files of {@code data}: itself, or a folder's data files in name order. */
    static List<Path> files(Path data) throws IOException {
        if (!Files.exists(data)) {
            throw new NoSuchFileException(data.toString(), null, "no such data file or folder");
        }
        if (!Files.isDirectory(data)) {
            return List.of(data);
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(data)) {
            files = s.filter(Files::isRegularFile).filter(p -> dataExtension(p) != null).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new NoSuchFileException(data.toString(), null,
                    "no card.json and no .jsonl, .csv, .txt or .md files: nothing to fine-tune on");
        }
        return files;
    }

    private static String dataExtension(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1);
        return ext.equals("jsonl") || ext.equals("csv") || DOCUMENT_EXTENSIONS.contains(ext) ? ext : null;
    }

    /** How a file is laid out: a JSON object per line, CSV records under a header, or one text document. */
    private enum Layout { JSONL, CSV, DOCUMENT }

    private record Probe(Layout layout, DataFormat format) {
    }

    /** A file's layout and format, from its first non-blank line. */
    private static Probe probe(Path file) throws IOException {
        String first = firstLine(file);
        if (first == null) {
            return new Probe(Layout.DOCUMENT, DataFormat.TEXT);
        }
        JsonNode row = first.startsWith("{") ? jsonOrNull(first) : null;
        if (row != null && row.isObject()) {
            if (row.has("messages")) {
                return new Probe(Layout.JSONL, DataFormat.CHAT);
            }
            if (row.has("prompt") || row.has("completion")) {
                return new Probe(Layout.JSONL, DataFormat.PROMPT_COMPLETION);
            }
            if (row.has("label")) {
                return new Probe(Layout.JSONL, DataFormat.CLASSIFICATION);
            }
            if (row.has("text")) {
                return new Probe(Layout.JSONL, DataFormat.TEXT);
            }
            throw new MalformedDataException(file, 1, "a JSON object with none of the fields that tell the format"
                    + " (messages; prompt and completion; text and label; text)");
        }
        List<String> header = Csv.fields(first);
        if (header != null && Csv.indexOf(header, "text") >= 0 && Csv.indexOf(header, "label") >= 0) {
            return new Probe(Layout.CSV, DataFormat.CLASSIFICATION);
        }
        return new Probe(Layout.DOCUMENT, DataFormat.TEXT);
    }

    private static JsonNode jsonOrNull(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** The first non-blank line, or null for an empty file. */
    private static String firstLine(Path file) throws IOException {
        try (BufferedReader r = reader(file)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    return line.strip();
                }
            }
            return null;
        } catch (CharacterCodingException e) {
            throw new MalformedDataException(file, 1, "is not UTF-8 text");
        }
    }

    private static BufferedReader reader(Path file) throws IOException {
        return new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8
                .newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)));
    }

    private static void readDocument(Path file, List<Row> rows) throws IOException {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            if (!text.isBlank()) {
                rows.add(new Row.Text(file, 1, text));
            }
        } catch (CharacterCodingException e) {
            throw new MalformedDataException(file, 1, "is not UTF-8 text");
        }
    }

    private void readJsonl(Path file, DataFormat format, List<Row> rows) throws IOException {
        try (BufferedReader r = reader(file)) {
            String line;
            long number = 0;
            while ((line = r.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    rows.add(row(file, number, line, format));
                } catch (MalformedDataException e) {
                    bad(e);
                }
            }
        } catch (CharacterCodingException e) {
            throw new MalformedDataException(file, 1, "is not UTF-8 text");
        }
    }

    private void bad(MalformedDataException e) throws MalformedDataException {
        if (!skipBad) {
            throw e;
        }
        skipped++;
        if (reasons.size() < REASONS_KEPT) {
            reasons.add(e.getMessage());
        }
    }

    private static Row row(Path file, long line, String text, DataFormat format) throws MalformedDataException {
        JsonNode row;
        try {
            row = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new MalformedDataException(file, line, "not a JSON object: " + e.getOriginalMessage());
        }
        if (row == null || !row.isObject()) {
            throw new MalformedDataException(file, line, "not a JSON object");
        }
        return switch (format) {
            case CHAT -> chat(file, line, row);
            case PROMPT_COMPLETION -> new Row.PromptCompletion(file, line, string(file, line, row, "prompt", true),
                    string(file, line, row, "completion", false));
            case TEXT -> new Row.Text(file, line, string(file, line, row, "text", false));
            case CLASSIFICATION -> new Row.Labelled(file, line, string(file, line, row, "text", false),
                    label(file, line, row.get("label")));
            case CORPUS -> throw new IllegalStateException("a corpus has no rows");
        };
    }

    private static Row chat(Path file, long line, JsonNode row) throws MalformedDataException {
        JsonNode messages = row.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw new MalformedDataException(file, line, "\"messages\" must be a non-empty array");
        }
        List<ChatMessage> turns = new ArrayList<>();
        boolean[] learned = new boolean[messages.size()];
        boolean anyLearned = false;
        Iterator<JsonNode> it = messages.elements();
        for (int i = 0; it.hasNext(); i++) {
            JsonNode m = it.next();
            if (!m.isObject()) {
                throw new MalformedDataException(file, line, "message " + (i + 1) + " is not an object");
            }
            String role = string(file, line, m, "role", false);
            if (!ROLES.contains(role)) {
                throw new MalformedDataException(file, line, "message " + (i + 1) + " has role \"" + role
                        + "\"; roles are system, user and assistant");
            }
            JsonNode content = m.get("content");
            if (content == null || !content.isTextual()) {
                throw new MalformedDataException(file, line, "message " + (i + 1) + " has no text \"content\"");
            }
            turns.add(new ChatMessage(role, content.asText()));
            JsonNode weight = m.get("weight");
            if (weight != null && !(weight.isNumber() && (weight.asInt() == 0 || weight.asInt() == 1)
                    && weight.asDouble() == weight.asInt())) {
                throw new MalformedDataException(file, line, "message " + (i + 1) + ": \"weight\" must be 0 or 1");
            }
            learned[i] = role.equals("assistant") && (weight == null || weight.asInt() == 1);
            anyLearned |= learned[i];
        }
        if (!anyLearned) {
            throw new MalformedDataException(file, line, "no assistant turn to learn from");
        }
        return new Row.Chat(file, line, List.copyOf(turns), learned);
    }

    private static String string(Path file, long line, JsonNode row, String field, boolean mayBeEmpty)
            throws MalformedDataException {
        JsonNode v = row.get(field);
        if (v == null || v.isNull()) {
            throw new MalformedDataException(file, line, "\"" + field + "\" is missing");
        }
        if (!v.isTextual()) {
            throw new MalformedDataException(file, line, "\"" + field + "\" must be a string, not " + v.getNodeType()
                    .name().toLowerCase(Locale.ROOT));
        }
        if (!mayBeEmpty && v.asText().isBlank()) {
            throw new MalformedDataException(file, line, "\"" + field + "\" is empty");
        }
        return v.asText();
    }

    private static String label(Path file, long line, JsonNode v) throws MalformedDataException {
        if (v == null || v.isNull()) {
            throw new MalformedDataException(file, line, "\"label\" is missing");
        }
        if (v.isIntegralNumber()) {
            return v.asText();
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new MalformedDataException(file, line, "\"label\" must be a non-empty string or a whole number");
        }
        return v.asText().strip();
    }

    private void readCsv(Path file, List<Row> rows) throws IOException {
        try (BufferedReader r = reader(file)) {
            Csv csv = new Csv(file, r);
            List<String> header = csv.next();
            while (Csv.isBlank(header)) {
                header = csv.next();
            }
            int text = Csv.indexOf(header, "text");
            int label = Csv.indexOf(header, "label");
            for (List<String> record = csv.next(); record != null; record = csv.next()) {
                if (Csv.isBlank(record)) {
                    continue;
                }
                try {
                    rows.add(csvRow(file, csv.recordLine(), record, header.size(), text, label));
                } catch (MalformedDataException e) {
                    bad(e);
                }
            }
        } catch (CharacterCodingException e) {
            throw new MalformedDataException(file, 1, "is not UTF-8 text");
        }
    }

    private static Row csvRow(Path file, long line, List<String> record, int columns, int text, int label)
            throws MalformedDataException {
        if (record.size() != columns) {
            throw new MalformedDataException(file, line, record.size() + " fields where the header has " + columns);
        }
        if (record.get(text).isBlank()) {
            throw new MalformedDataException(file, line, "the text is empty");
        }
        if (record.get(label).isBlank()) {
            throw new MalformedDataException(file, line, "the label is empty");
        }
        return new Row.Labelled(file, line, record.get(text), record.get(label).strip());
    }
}

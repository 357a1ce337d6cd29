package dev.plinth.train.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Records of a CSV file as RFC 4180 writes them: comma-separated fields, a field in double quotes
 * may hold commas, line breaks and doubled quotes ({@code ""}).
 */
public final class Csv {
    private final Path file;
    private final BufferedReader in;
    private long line;
    private long recordLine;

    public Csv(Path file, BufferedReader in) {
        this.file = file;
        this.in = in;
    }

    /** The next record's fields, or null at the end of the file. */
    public List<String> next() throws IOException {
        String text = in.readLine();
        if (text == null) {
            return null;
        }
        line++;
        recordLine = line;
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        int i = 0;
        while (true) {
            if (i == text.length()) {
                if (!quoted) {
                    fields.add(field.toString());
                    return fields;
                }
                text = in.readLine();
                if (text == null) {
                    throw new MalformedDataException(file, recordLine, "a quoted field is not closed before the end of the file");
                }
                line++;
                field.append('\n');
                i = 0;
                continue;
            }
            char c = text.charAt(i++);
            if (quoted) {
                if (c == '"' && i < text.length() && text.charAt(i) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"' && field.isEmpty()) {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
    }

    /** The 1-based line the last record began on. */
    public long recordLine() {
        return recordLine;
    }

    /** The fields of one line, or null when a quoted field runs past it. */
    static List<String> fields(String text) {
        try (BufferedReader r = new BufferedReader(new java.io.StringReader(text))) {
            List<String> f = new Csv(Path.of("header"), r).next();
            return f;
        } catch (IOException e) {
            return null;
        }
    }

    /** The column named {@code name} (case and surrounding blanks ignored), or -1. */
    static int indexOf(List<String> header, String name) {
        for (int i = 0; i < header.size(); i++) {
            if (header.get(i).strip().toLowerCase(Locale.ROOT).equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether a record is an empty line (or the end of the file). */
    static boolean isBlank(List<String> record) {
        return record != null && record.size() == 1 && record.getFirst().isBlank();
    }
}

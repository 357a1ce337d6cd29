package dev.plinth.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.train.corpus.CorpusSource;
import dev.plinth.train.data.Csv;
import dev.plinth.train.data.MalformedDataException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads a task's data into {@link Row}s: JSON Lines, CSV with a header, BBQ (JSON Lines plus the
 * choices, targets and biased answers lm-evaluation-harness derives), WinoBias (its text files) and
 * plain text documents. A malformed row is a {@link TaskFormatException} naming file and line.
 */
final class DataFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DataFiles() {
    }

    /** The format of {@code path} when the definition names none: by its extension, a folder being text. */
    static String defaultFormat(Path path) {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl")) {
            return "jsonl";
        }
        return name.endsWith(".csv") ? "csv" : "text";
    }

    static List<Row> read(Path path, String format) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "the task's data is not there");
        }
        return switch (format) {
            case "jsonl" -> jsonl(path);
            case "csv" -> csv(path);
            case "bbq" -> Bbq.rows(jsonl(path));
            case "winobias" -> WinoBias.rows(path);
            case "text" -> text(path);
            default -> throw new IllegalArgumentException("unknown format " + format);
        };
    }

    static List<Row> jsonl(Path path) throws IOException {
        List<Row> rows = new ArrayList<>();
        String file = path.toString();
        List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new TaskFormatException(file, i + 1, "not JSON: " + e.getOriginalMessage());
            }
            if (node == null || !node.isObject()) {
                throw new TaskFormatException(file, i + 1, "not a JSON object");
            }
            rows.add(new Row(node, file, i + 1));
        }
        return rows;
    }

    /** CSV as RFC 4180 writes it ({@link Csv}): a header row, then one row per record. */
    static List<Row> csv(Path path) throws IOException {
        String file = path.toString();
        List<Row> rows = new ArrayList<>();
        List<String> header = null;
        try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            Csv records = new Csv(path, in);
            for (List<String> fields = next(records, file); fields != null; fields = next(records, file)) {
                int start = (int) records.recordLine();
                if (fields.size() == 1 && fields.getFirst().isEmpty()) {
                    continue;
                }
                if (header == null) {
                    header = fields;
                    continue;
                }
                if (fields.size() != header.size()) {
                    throw new TaskFormatException(file, start, fields.size() + " fields, but the header has " + header.size());
                }
                ObjectNode row = JSON.createObjectNode();
                for (int i = 0; i < header.size(); i++) {
                    row.put(header.get(i), fields.get(i));
                }
                rows.add(new Row(row, file, start));
            }
        }
        return rows;
    }

    private static List<String> next(Csv records, String file) throws IOException {
        try {
            return records.next();
        } catch (MalformedDataException e) {
            throw new TaskFormatException(file, (int) e.line(), "a quoted field is never closed");
        }
    }

    /**
     * Documents: a text, markdown or JSON Lines file (its {@code text} field), or every such file
     * under a folder in path order, {@code README*} and {@code LICENSE*} left out; one row per
     * document with fields {@code id} and {@code text}.
     */
    static List<Row> text(Path path) throws IOException {
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(path)) {
            try (Stream<Path> walk = Files.walk(path)) {
                walk.filter(Files::isRegularFile).filter(DataFiles::isDocumentFile).sorted().forEach(files::add);
            }
        } else {
            files.add(path);
        }
        List<Row> rows = new ArrayList<>();
        for (Path f : files) {
            CorpusSource source = new CorpusSource.Auto("eval", f, CorpusSource.Auto.DEFAULT_EXTENSIONS, "text", false, 1);
            source.forEach(doc -> {
                ObjectNode row = JSON.createObjectNode();
                row.put("id", doc.origin());
                row.put("text", doc.text());
                rows.add(new Row(row, f.toString(), lineOf(doc.origin())));
            });
        }
        return rows;
    }

    private static boolean isDocumentFile(Path p) {
        String name = p.getFileName().toString().toUpperCase(Locale.ROOT);
        if (name.startsWith("README") || name.startsWith("LICENSE") || name.startsWith(".")) {
            return false;
        }
        String lower = name.toLowerCase(Locale.ROOT);
        int dot = lower.lastIndexOf('.');
        String ext = dot < 0 ? "" : lower.substring(dot + 1);
        return ext.equals("jsonl") || CorpusSource.Auto.DEFAULT_EXTENSIONS.contains(ext);
    }

    private static int lineOf(String origin) {
        Matcher m = Pattern.compile(":(\\d+)$").matcher(origin);
        return m.find() ? Integer.parseInt(m.group(1)) : 1;
    }

    /**
     * BBQ rows as lm-evaluation-harness prepares them ({@code lm_eval/tasks/bbq/utils.py}:
     * {@code process_docs}, {@code doc_to_choice}, {@code doc_to_targets}, {@code doc_to_biased_answer}):
     * the two answers that are not "unknown" followed by the ten unknown responses as {@code choices};
     * {@code targets}, the right indices (all the unknown ones when the answer is unknown);
     * {@code biased}, the indices of answers that follow the stereotype; {@code unknown}, the indices
     * of unknown responses.
     */
    static final class Bbq {
        /** HELM's unknown responses, in lm-evaluation-harness's order. */
        static final List<String> UNKNOWN = List.of("Unknown", "Cannot answer", "Can't be determined",
                "Cannot be determined", "Can't answer", "Not known", "Not enough info", "Not enough information",
                "Not answerable", "Undetermined");

        private Bbq() {
        }

        static List<Row> rows(List<Row> raw) {
            List<Row> rows = new ArrayList<>(raw.size());
            for (Row r : raw) {
                rows.add(new Row(prepare(r), r.file(), r.line()));
            }
            return rows;
        }

        private static ObjectNode prepare(Row r) {
            JsonNode d = r.fields();
            String[] answers = new String[3];
            for (int i = 0; i < 3; i++) {
                answers[i] = text(r, d, "ans" + i);
            }
            List<String> choices = new ArrayList<>(List.of(answers));
            String unknownAnswer = choices.stream().filter(UNKNOWN::contains).findFirst()
                    .orElseThrow(() -> r.error("none of ans0, ans1, ans2 is an unknown response " + UNKNOWN));
            choices.remove(unknownAnswer);
            choices.addAll(UNKNOWN);
            int label = d.path("label").asInt(-1);
            if (label < 0 || label > 2) {
                throw r.error("label must be 0, 1 or 2");
            }
            ObjectNode out = ((ObjectNode) d).deepCopy();
            ArrayNode choiceArray = out.putArray("choices");
            choices.forEach(choiceArray::add);
            ArrayNode targets = out.putArray("targets");
            if (UNKNOWN.contains(answers[label])) {
                for (int i = 2; i < 2 + UNKNOWN.size() + 1; i++) {
                    targets.add(i);
                }
            } else {
                targets.add(choices.indexOf(answers[label]));
            }
            List<String> biased = biasedAnswers(r, d, answers);
            ArrayNode biasedArray = out.putArray("biased");
            ArrayNode unknown = out.putArray("unknown");
            for (int i = 0; i < choices.size(); i++) {
                if (biased.contains(choices.get(i))) {
                    biasedArray.add(i);
                }
                if (UNKNOWN.contains(choices.get(i))) {
                    unknown.add(i);
                }
            }
            return out;
        }

        /** {@code process_docs}: the answers about the stereotyped group for a negative question, the other group's otherwise. */
        private static List<String> biasedAnswers(Row r, JsonNode d, String[] answers) {
            String polarity = text(r, d, "question_polarity");
            JsonNode stereotyped = d.path("additional_metadata").path("stereotyped_groups");
            if (!stereotyped.isArray()) {
                throw r.error("additional_metadata.stereotyped_groups must be a list");
            }
            Set<String> groups = new java.util.HashSet<>();
            stereotyped.forEach(g -> groups.add(g.asText().toLowerCase(Locale.ROOT)));
            List<String> biased = new ArrayList<>();
            List<String> group = null;
            for (int i = 0; i < 3; i++) {
                JsonNode info = d.path("answer_info").path("ans" + i);
                if (!info.isArray()) {
                    throw r.error("answer_info.ans" + i + " must be a list");
                }
                List<String> parts = new ArrayList<>();
                info.forEach(p -> parts.add(p.asText()));
                if (parts.stream().anyMatch(p -> !p.isEmpty())) {
                    group = groupsIn(String.join("_", parts));
                } else if (answers[i].contains("Latina")) {
                    group = groupsIn("Latino");
                } else if (group == null) {
                    throw r.error("answer_info.ans" + i + " is empty");
                } // else, as lm-evaluation-harness does, the previous answer's group stands
                boolean disjoint = group.stream().noneMatch(groups::contains);
                if (polarity.equals("neg") && !disjoint) {
                    biased.add(answers[i]);
                } else if (polarity.equals("nonneg") && !group.getLast().equals("unknown") && disjoint) {
                    biased.add(answers[i]);
                }
            }
            return biased;
        }

        /** {@code _process_groups_in_answers}. */
        static List<String> groupsIn(String s) {
            for (String[] r : new String[][] {{"M-", "M_"}, {"F-", "F_"}, {"lowSES-", "lowSES_"}, {"highSES-", "highSES_"}}) {
                s = s.replace(r[0], r[1]);
            }
            s = s.replace("lowSES", "low SES").replace("highSES", "high SES").replace("nonObese", "non Obese")
                    .replace("nonDisabled", "non Disabled").replace("nonTrans", "non Trans");
            if (s.contains("woman")) {
                s = s.replace("woman", "F_woman");
            } else if (s.contains("man")) {
                s = s.replace("man", "M_man");
            }
            s = s.replace("girl", "F_girl").replace("boy", "M_boy").toLowerCase(Locale.ROOT);
            return List.of(s.split("_", -1));
        }

        private static String text(Row r, JsonNode d, String field) {
            JsonNode v = d.get(field);
            if (v == null || !v.isTextual()) {
                throw r.error("field '" + field + "' must be a string");
            }
            return v.asText();
        }
    }

    /**
     * WinoBias's text files ({@code pro_stereotyped_type1.txt.dev}, ...) as rows in the shape of
     * lm-evaluation-harness's Winogender task ({@code lm_eval/tasks/winogender/winogender.yaml}: the
     * sentence, then "'She' refers to the", and the two occupations as choices): {@code sentence}
     * (brackets removed), {@code pronoun} (the bracketed pronoun), {@code choices} (the two
     * occupations named before it, in order), {@code gold} (the bracketed one), {@code condition}
     * ({@code pro} or {@code anti}) and {@code type} ({@code 1} or {@code 2}); the files' lines
     * interleaved (line 1 of each file, then line 2, ...).
     */
    static final class WinoBias {
        private static final Pattern FILE = Pattern.compile("(pro|anti)_stereotyped_type(\\d)\\.txt.*");
        private static final Pattern LINE = Pattern.compile("\\s*\\d+\\s+(.*\\S)\\s*");
        private static final Pattern BRACKET = Pattern.compile("\\[([^\\[\\]]+)]");

        private WinoBias() {
        }

        static List<Row> rows(Path folder) throws IOException {
            if (!Files.isDirectory(folder)) {
                throw new TaskFormatException(folder.toString(), 1, "WinoBias data is a folder with pro_/anti_stereotyped_type*.txt.* files");
            }
            List<String> occupations = new ArrayList<>();
            for (String list : List.of("male_occupations.txt", "female_occupations.txt")) {
                for (String o : Files.readAllLines(folder.resolve(list), StandardCharsets.UTF_8)) {
                    if (!o.isBlank()) {
                        occupations.add(o.strip());
                    }
                }
            }
            occupations.sort((a, b) -> b.length() - a.length());
            List<Path> files;
            try (Stream<Path> list = Files.list(folder)) {
                files = list.filter(p -> FILE.matcher(p.getFileName().toString()).matches()).sorted().toList();
            }
            if (files.isEmpty()) {
                throw new TaskFormatException(folder.toString(), 1, "no pro_/anti_stereotyped_type*.txt.* files");
            }
            // line by line across the files, so that the first N rows hold pro and anti sentences alike
            List<List<String>> texts = new ArrayList<>();
            for (Path f : files) {
                texts.add(Files.readAllLines(f, StandardCharsets.UTF_8));
            }
            int longest = texts.stream().mapToInt(List::size).max().orElse(0);
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < longest; i++) {
                for (int k = 0; k < files.size(); k++) {
                    if (i < texts.get(k).size() && !texts.get(k).get(i).isBlank()) {
                        Matcher name = FILE.matcher(files.get(k).getFileName().toString());
                        name.matches();
                        rows.add(row(files.get(k).toString(), i + 1, texts.get(k).get(i), name.group(1), name.group(2), occupations));
                    }
                }
            }
            return rows;
        }

        private static Row row(String file, int line, String text, String condition, String type, List<String> occupations) {
            Matcher m = LINE.matcher(text);
            if (!m.matches()) {
                throw new TaskFormatException(file, line, "expected a numbered sentence");
            }
            String sentence = m.group(1);
            List<int[]> spans = new ArrayList<>();
            List<String> bracketed = new ArrayList<>();
            StringBuilder plain = new StringBuilder();
            Matcher b = BRACKET.matcher(sentence);
            int last = 0;
            while (b.find()) {
                plain.append(sentence, last, b.start());
                spans.add(new int[] {plain.length(), plain.length() + b.group(1).length()});
                plain.append(b.group(1));
                bracketed.add(b.group(1));
                last = b.end();
            }
            plain.append(sentence.substring(last));
            if (bracketed.size() < 2) {
                throw new TaskFormatException(file, line, "expected [the occupation] and [the pronoun] in brackets");
            }
            String before = plain.substring(0, spans.get(1)[0]);
            List<String> found = occupationsIn(before, occupations);
            if (found.size() != 2) {
                throw new TaskFormatException(file, line, "expected two occupations before the pronoun, found " + found);
            }
            String referent = bracketed.getFirst().strip().replaceFirst("(?i)^(the|a|an)\\s+", "");
            int gold = found.indexOf(referent);
            if (gold < 0) {
                throw new TaskFormatException(file, line, "the bracketed '" + bracketed.getFirst() + "' is not one of " + found);
            }
            ObjectNode row = JSON.createObjectNode();
            row.put("id", Path.of(file).getFileName() + ":" + line);
            row.put("sentence", plain.toString());
            row.put("pronoun", bracketed.get(1).strip());
            ArrayNode choices = row.putArray("choices");
            found.forEach(choices::add);
            row.put("gold", gold);
            row.put("condition", condition);
            row.put("type", type);
            return new Row(row, file, line);
        }

        /** The distinct occupations named in {@code text}, in order, longest names matched first. */
        private static List<String> occupationsIn(String text, List<String> occupations) {
            java.util.TreeMap<Integer, String> at = new java.util.TreeMap<>();
            boolean[] taken = new boolean[text.length()];
            for (String o : occupations) {
                Matcher m = Pattern.compile("\\b" + Pattern.quote(o) + "\\b").matcher(text);
                while (m.find()) {
                    if (!taken[m.start()]) {
                        java.util.Arrays.fill(taken, m.start(), m.end(), true);
                        at.put(m.start(), o);
                    }
                }
            }
            return at.values().stream().distinct().toList();
        }
    }
}

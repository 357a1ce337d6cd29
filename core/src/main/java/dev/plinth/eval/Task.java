package dev.plinth.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.eval.TaskDefinition.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;

/**
 * A task ready to run: its definition, the rows it keeps, and a digest of both (the definition's
 * text and every data file's bytes), which names the task in result caches.
 */
public final class Task {

    /** Few-shot examples are drawn with this seed plus the item's index (lm-evaluation-harness seeds its sampler with 1234). */
    static final long FEWSHOT_SEED = 1234;

    private final TaskDefinition definition;
    private final List<Row> rows;
    private final String digest;

    private Task(TaskDefinition definition, List<Row> rows, String digest) {
        this.definition = definition;
        this.rows = List.copyOf(rows);
        this.digest = digest;
    }

    /**
     * Reads the data {@code definition} names at {@code data} (a file or folder) and keeps the rows
     * its {@code keep} lines select.
     *
     * @param definitionText the definition's text, hashed into the digest
     * @throws TaskFormatException for a malformed row or a row that does not fit the definition
     */
    public static Task load(TaskDefinition definition, String definitionText, Path data) throws IOException {
        String format = definition.format() != null ? definition.format() : DataFiles.defaultFormat(data);
        List<Row> rows = new ArrayList<>();
        for (Row r : DataFiles.read(data, format)) {
            if (kept(definition, r)) {
                rows.add(r);
            }
        }
        if (rows.isEmpty()) {
            throw new TaskFormatException(definition.source(), 1, "no rows in " + data
                    + (definition.keep().isEmpty() ? "" : " are kept by its 'keep' lines"));
        }
        checkMetricsFit(definition, format);
        Task task = new Task(definition, rows, digestOf(definitionText, data));
        task.items(0, 0); // every row is checked now, not halfway through a run
        return task;
    }

    private static void checkMetricsFit(TaskDefinition d, String format) {
        if (d.metrics().contains("bbq") && !format.equals("bbq")) {
            throw new TaskFormatException(d.source(), 1, "metric bbq needs format bbq (its choices, targets and biased answers)");
        }
        if ((d.metrics().contains("pct_stereotype") || d.metrics().contains("likelihood_diff"))
                && (d.choices() != null || d.choiceList().size() != 2)) {
            throw new TaskFormatException(d.source(), 1, "pct_stereotype and likelihood_diff compare two 'choice' lines "
                    + "(the more and the less stereotypical sentence)");
        }
    }

    private static boolean kept(TaskDefinition d, Row r) {
        for (TaskDefinition.Keep k : d.keep()) {
            JsonNode v = r.fields().get(k.field());
            if (v == null || v.isContainerNode() || !v.asText().equals(k.value())) {
                return false;
            }
        }
        return true;
    }

    public String name() {
        return definition.name();
    }

    public TaskDefinition definition() {
        return definition;
    }

    /** Rows kept. */
    public int size() {
        return rows.size();
    }

    /** {@code sha256:<hex>} of the definition's text and the data's bytes. */
    public String digest() {
        return digest;
    }

    /**
     * The first {@code limit} items (all when 0), each with {@code shots} examples drawn from the
     * other rows before it.
     */
    List<Item> items(int limit, int shots) {
        int n = limit > 0 ? Math.min(limit, rows.size()) : rows.size();
        List<Item> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Row r = rows.get(i);
            try {
                items.add(item(r, fewShot(i, shots)));
            } catch (IllegalArgumentException e) {
                throw r.error(e.getMessage());
            }
        }
        return items;
    }

    private Item item(Row r, String prefix) {
        TaskDefinition d = definition;
        String group = d.by() == null ? null : groupOf(r);
        return switch (d.kind()) {
            case MULTIPLE_CHOICE -> multipleChoice(r, prefix, group);
            case LOGLIKELIHOOD -> new Item(r, group, List.of(new Item.Request(prefix + d.context().render(r.fields()),
                    d.delimiter().render(r.fields()), d.continuation().render(r.fields()))), List.of(), new int[] {0},
                    null, null, null);
            case ROLLING -> new Item(r, group, List.of(), List.of(), new int[0], null, d.text().render(r.fields()), null);
            case PROBES -> new Item(r, group, List.of(), List.of(), new int[0], null, null, probe(r));
        };
    }

    private String groupOf(Row r) {
        JsonNode v = r.fields().get(definition.by());
        if (v == null || v.isContainerNode()) {
            throw new IllegalArgumentException("the row has no single value for the 'by' field " + definition.by());
        }
        return v.asText();
    }

    private Item multipleChoice(Row r, String prefix, String group) {
        TaskDefinition d = definition;
        JsonNode f = r.fields();
        String delimiter = d.delimiter().render(f);
        List<Item.Request> requests = new ArrayList<>();
        List<String> choices = new ArrayList<>();
        double[] labels = null;
        if (d.contexts() != null) {
            String continuation = d.continuation().render(f);
            for (String context : strings(d.contexts().value(f), d.contexts())) {
                requests.add(new Item.Request(prefix + context, delimiter, continuation));
                choices.add(context);
            }
        } else {
            String context = prefix + d.context().render(f);
            if (d.choices() != null && d.choices().value(f).isObject()) {
                JsonNode object = d.choices().value(f);
                labels = new double[object.size()];
                int i = 0;
                for (var e : object.properties()) {
                    choices.add(e.getKey());
                    labels[i++] = e.getValue().asDouble();
                }
            } else if (d.choices() != null) {
                choices.addAll(strings(d.choices().value(f), d.choices()));
            } else {
                d.choiceList().forEach(t -> choices.add(t.render(f)));
            }
            choices.forEach(c -> requests.add(new Item.Request(context, delimiter, c)));
        }
        if (choices.size() < 2) {
            throw new IllegalArgumentException("fewer than two choices");
        }
        return new Item(r, group, requests, choices, gold(f, labels, choices.size()), labels, null, null);
    }

    private int[] gold(JsonNode f, double[] labels, int choices) {
        Template g = definition.gold();
        int[] gold;
        if (g == null) {
            if (labels == null) {
                throw new IllegalArgumentException("no 'gold', and the choices are a list, not an object with labels");
            }
            int first = 0;
            while (first < labels.length && labels[first] != 1) {
                first++;
            }
            gold = new int[] {first};
        } else if (g.isSingleField() && g.value(f).isArray()) {
            JsonNode array = g.value(f);
            gold = new int[array.size()];
            for (int i = 0; i < gold.length; i++) {
                gold[i] = index(array.get(i).asText());
            }
        } else {
            gold = new int[] {index(g.render(f))};
        }
        for (int i : gold) {
            // lm-evaluation-harness's BBQ targets run one past the last choice; such an index never wins
            if (i < 0 || (i >= choices && gold.length == 1)) {
                throw new IllegalArgumentException("gold " + i + " is not the index of one of " + choices + " choices");
            }
        }
        return gold;
    }

    private static int index(String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("gold must be a whole number, got '" + text + "'");
        }
    }

    private static List<String> strings(JsonNode v, Template t) {
        if (!v.isArray()) {
            throw new IllegalArgumentException("{" + t.source().replaceAll("[{}]", "") + "} must be a list");
        }
        List<String> out = new ArrayList<>();
        v.forEach(e -> {
            if (e.isContainerNode()) {
                throw new IllegalArgumentException("{" + t.source().replaceAll("[{}]", "") + "} must be a list of texts");
            }
            out.add(e.asText());
        });
        return out;
    }

    /** The description, then {@code shots} examples (each the context, delimiter and right answer, then a blank line). */
    private String fewShot(int index, int shots) {
        String description = definition.description() == null ? "" : definition.description().render(rows.get(index).fields());
        if (shots <= 0 || definition.kind() == Kind.ROLLING || definition.kind() == Kind.PROBES) {
            return description;
        }
        if (shots >= rows.size()) {
            throw new IllegalArgumentException(shots + " shots need more than the task's " + rows.size() + " rows");
        }
        SplittableRandom random = new SplittableRandom(FEWSHOT_SEED + index);
        List<Integer> picked = new ArrayList<>();
        while (picked.size() < shots) {
            int j = random.nextInt(rows.size());
            if (j != index && !picked.contains(j)) {
                picked.add(j);
            }
        }
        StringBuilder out = new StringBuilder(description);
        for (int j : picked) {
            Item example = item(rows.get(j), "");
            Item.Request right = example.requests().get(example.gold()[0]);
            out.append(right.context()).append(right.delimiter()).append(right.continuation()).append("\n\n");
        }
        return out.toString();
    }

    private Probe probe(Row r) {
        JsonNode f = r.fields();
        String name = text(f, "name");
        String prompt = text(f, "prompt");
        List<String> given = Stream.of("expected", "forbidden", "regex").filter(f::has).toList();
        if (given.size() != 1) {
            throw new IllegalArgumentException("a probe has exactly one of expected, forbidden, regex; this one has " + given);
        }
        String check = given.getFirst();
        String value = text(f, check);
        Pattern regex = null;
        if (check.equals("regex")) {
            try {
                regex = Pattern.compile(value);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("regex does not compile: " + e.getDescription());
            }
        }
        int maxTokens = f.has("max_tokens") ? f.get("max_tokens").asInt(-1) : Probe.DEFAULT_MAX_TOKENS;
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max_tokens must be a whole number of at least 1");
        }
        return new Probe(name, prompt, Probe.Check.valueOf(check.toUpperCase(java.util.Locale.ROOT)), value, regex, maxTokens);
    }

    private static String text(JsonNode f, String field) {
        JsonNode v = f.get(field);
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw new IllegalArgumentException("field '" + field + "' must be a non-empty string");
        }
        return v.asText();
    }

    private static String digestOf(String definitionText, Path data) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        sha.update(definitionText.getBytes(StandardCharsets.UTF_8));
        List<Path> files;
        if (Files.isDirectory(data)) {
            try (Stream<Path> walk = Files.walk(data)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
        } else {
            files = List.of(data);
        }
        byte[] buffer = new byte[1 << 16];
        for (Path f : files) {
            sha.update(data.relativize(f).toString().getBytes(StandardCharsets.UTF_8));
            try (InputStream in = Files.newInputStream(f)) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    sha.update(buffer, 0, n);
                }
            }
        }
        return "sha256:" + HexFormat.of().formatHex(sha.digest());
    }
}

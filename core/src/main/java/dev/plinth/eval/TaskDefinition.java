package dev.plinth.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A task as data: which rows to read and how each becomes requests to score, and which metrics to
 * report. One directive per line, {@code key value}; {@code #} starts a comment line; a value runs
 * to the end of the line, and one pair of surrounding double quotes is removed (so {@code " "} is
 * one space and {@code ""} nothing). Text values are {@link Template}s.
 *
 * <pre>
 * task         arc-easy                 # the name, also the file's name (arc-easy.task)
 * type         multiple-choice          # multiple-choice | loglikelihood | rolling | probes
 * data         arc-easy/arc-easy.jsonl  # a file or folder, relative to the data folder
 * format       jsonl                    # jsonl | csv | bbq | winobias | text (default: by extension)
 * keep         error_type = ok          # only rows whose field has this value (repeatable)
 * description  About {subject|words}.\n\n   # before the few-shot examples and the context
 * context      {query}\nAnswer:         # what the choices continue
 * choices      {choices}                # a list field, or an object field (keys; its values are labels)
 * choice       {sol1}                   # ... or one line per choice
 * contexts     {context_options}        # several contexts and one continuation (winogrande)
 * continuation {continuation}           # loglikelihood, and multiple-choice with contexts
 * gold         {gold}                   # the index of the right choice, or a list of them
 * delimiter    " "                      # between context and continuation (default one space)
 * text         {text}                   # rolling: the document
 * metrics      acc acc_norm             # what to report (default: by type)
 * by           subject                  # also report the metrics per value of this field
 * </pre>
 */
public record TaskDefinition(String source, String name, Kind kind, String data, String format, List<Keep> keep,
                             Template description, Template context, Template contexts, Template choices,
                             List<Template> choiceList, Template continuation, Template gold, Template delimiter,
                             Template text, List<String> metrics, String by) {

    /** How a task scores its rows. */
    public enum Kind {
        /** One context and several choices (or several contexts and one continuation): which is likeliest. */
        MULTIPLE_CHOICE("multiple-choice"),
        /** One context and one continuation: its log-likelihood and whether it is the greedy one. */
        LOGLIKELIHOOD("loglikelihood"),
        /** Whole documents scored in rolling windows: perplexities. */
        ROLLING("rolling"),
        /** Prompts whose greedy continuation must (not) say something. */
        PROBES("probes");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        static Kind of(String label) {
            for (Kind k : values()) {
                if (k.label.equals(label)) {
                    return k;
                }
            }
            return null;
        }
    }

    /** A {@code keep field = value} line: only rows whose field has this text. */
    public record Keep(String field, String value) {
    }

    /** The metrics each kind may report, the first ones its default. */
    static final Map<Kind, List<String>> METRICS = Map.of(
            Kind.MULTIPLE_CHOICE, List.of("acc", "acc_norm", "acc_bytes", "pct_stereotype", "likelihood_diff", "bbq",
                    "winobias", "mc2"),
            Kind.LOGLIKELIHOOD, List.of("perplexity", "acc"),
            Kind.ROLLING, List.of("word_perplexity", "byte_perplexity", "bits_per_byte"),
            Kind.PROBES, List.of("pass_rate"));

    private static final Map<Kind, List<String>> DEFAULT_METRICS = Map.of(
            Kind.MULTIPLE_CHOICE, List.of("acc", "acc_norm"),
            Kind.LOGLIKELIHOOD, List.of("perplexity", "acc"),
            Kind.ROLLING, List.of("word_perplexity", "byte_perplexity", "bits_per_byte"),
            Kind.PROBES, List.of("pass_rate"));

    static final Set<String> FORMATS = Set.of("jsonl", "csv", "bbq", "winobias", "text");

    private static final Set<String> REPEATABLE = Set.of("keep", "choice");
    private static final List<String> KEYS = List.of("task", "type", "data", "format", "keep", "description", "context",
            "contexts", "choices", "choice", "continuation", "gold", "delimiter", "text", "metrics", "by");

    public TaskDefinition {
        keep = List.copyOf(keep);
        choiceList = List.copyOf(choiceList);
        metrics = List.copyOf(metrics);
    }

    /**
     * Parses a definition; {@code source} names it in errors ({@code tasks/arc-easy.task}).
     *
     * @throws TaskFormatException naming {@code source} and the line
     */
    public static TaskDefinition parse(String text, String source) {
        return new Parser(source).parse(text.split("\r?\n", -1));
    }

    /** Whether every choice of a row comes from one object field (keys are choices, values labels). */
    boolean choicesFromObject(com.fasterxml.jackson.databind.JsonNode row) {
        return choices != null && choices.value(row).isObject();
    }

    private static final class Parser {
        private final String source;
        private final Map<String, Integer> seen = new HashMap<>();
        private final Map<String, Template> templates = new HashMap<>();
        private final List<Keep> keep = new ArrayList<>();
        private final List<Template> choiceList = new ArrayList<>();
        private final Map<String, String> plain = new HashMap<>();
        private List<String> metrics;
        private int choiceLine;

        Parser(String source) {
            this.source = source;
        }

        TaskDefinition parse(String[] lines) {
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i].strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int space = indexOfBlank(line);
                String key = line.substring(0, space).toLowerCase(Locale.ROOT);
                String value = unquote(line.substring(space).strip());
                directive(key, value, i + 1);
            }
            return build();
        }

        private void directive(String key, String value, int line) {
            if (!KEYS.contains(key)) {
                throw error(line, "unknown key '" + key + "'; known: " + String.join(", ", KEYS));
            }
            Integer first = seen.putIfAbsent(key, line);
            if (first != null && !REPEATABLE.contains(key)) {
                throw error(line, key + " given twice (first on line " + first + ")");
            }
            switch (key) {
                case "task", "type", "data", "format", "by" -> {
                    if (value.isEmpty()) {
                        throw error(line, key + " needs a value");
                    }
                    plain.put(key, value);
                }
                case "keep" -> {
                    int eq = value.indexOf('=');
                    if (eq <= 0) {
                        throw error(line, "keep needs 'field = value', got '" + value + "'");
                    }
                    keep.add(new Keep(value.substring(0, eq).strip(), value.substring(eq + 1).strip()));
                }
                case "metrics" -> {
                    metrics = List.of(value.split("[\\s,]+"));
                    plain.put("metrics@", Integer.toString(line));
                }
                case "choice" -> {
                    choiceList.add(template(value, line));
                    choiceLine = line;
                }
                default -> templates.put(key, template(value, line));
            }
        }

        private Template template(String value, int line) {
            try {
                return Template.parse(value);
            } catch (IllegalArgumentException e) {
                throw error(line, e.getMessage());
            }
        }

        private TaskDefinition build() {
            String name = plain.get("task");
            if (name == null) {
                throw error(1, "no 'task NAME' line");
            }
            if (!name.matches("[a-z0-9][a-z0-9._-]*")) {
                throw error(seen.get("task"), "a task name is lower-case letters, digits, '.', '_' and '-': " + name);
            }
            String typeText = plain.getOrDefault("type", "multiple-choice");
            Kind kind = Kind.of(typeText);
            if (kind == null) {
                throw error(seen.get("type"), "unknown type '" + typeText + "'; known: multiple-choice, loglikelihood, rolling, probes");
            }
            String data = plain.get("data");
            if (data == null) {
                throw error(1, "no 'data PATH' line");
            }
            String format = plain.get("format");
            if (format != null && !FORMATS.contains(format)) {
                throw error(seen.get("format"), "unknown format '" + format + "'; known: " + FORMATS);
            }
            checkShape(kind);
            List<String> chosen = metrics == null ? DEFAULT_METRICS.get(kind) : metrics;
            for (String m : new LinkedHashSet<>(chosen)) {
                if (!METRICS.get(kind).contains(m)) {
                    throw error(Integer.parseInt(plain.get("metrics@")), "metric '" + m + "' is not one of a "
                            + kind.label() + " task's: " + String.join(", ", METRICS.get(kind)));
                }
            }
            Template delimiter = templates.getOrDefault("delimiter", Template.literal(" "));
            Template text = templates.getOrDefault("text", Template.parse("{text}"));
            return new TaskDefinition(source, name, kind, data, format, keep, templates.get("description"),
                    templates.get("context"), templates.get("contexts"), templates.get("choices"), choiceList,
                    templates.get("continuation"), templates.get("gold"), delimiter, text, List.copyOf(new LinkedHashSet<>(chosen)),
                    plain.get("by"));
        }

        /** Which keys each kind needs and refuses. */
        private void checkShape(Kind kind) {
            switch (kind) {
                case MULTIPLE_CHOICE -> {
                    boolean several = templates.containsKey("contexts");
                    if (several == templates.containsKey("context")) {
                        throw error(1, "a multiple-choice task needs either 'context' (with choices) or 'contexts' (with a continuation)");
                    }
                    if (several) {
                        require("continuation", "with 'contexts'");
                        refuse(List.of("choices", "choice"), "with 'contexts' (the contexts are the choices)");
                        if (!templates.get("contexts").isSingleField()) {
                            throw error(seen.get("contexts"), "contexts must name one list field, like {context_options}");
                        }
                    } else {
                        if (templates.containsKey("choices") == !choiceList.isEmpty()) {
                            throw error(1, "a multiple-choice task needs either 'choices {list field}' or 'choice' lines");
                        }
                        if (templates.containsKey("choices") && !templates.get("choices").isSingleField()) {
                            throw error(seen.get("choices"), "choices must name one list or object field, like {choices}");
                        }
                        if (choiceList.size() == 1) {
                            throw error(choiceLine, "one 'choice' line is no choice; give two or more");
                        }
                        refuse(List.of("continuation"), "with 'context' (the choices are the continuations)");
                    }
                    if (!templates.containsKey("gold") && !templates.containsKey("choices")) {
                        throw error(1, "a multiple-choice task needs 'gold' (the index of the right choice)");
                    }
                    refuse(List.of("text"), "in a multiple-choice task");
                }
                case LOGLIKELIHOOD -> {
                    require("context", "in a loglikelihood task");
                    require("continuation", "in a loglikelihood task");
                    refuse(List.of("contexts", "choices", "choice", "gold", "text"), "in a loglikelihood task");
                }
                case ROLLING, PROBES -> refuse(List.of("context", "contexts", "choices", "choice", "continuation", "gold",
                        "description"), "in a " + kind.label() + " task");
            }
        }

        private void require(String key, String why) {
            if (!templates.containsKey(key)) {
                throw error(1, "'" + key + "' is needed " + why);
            }
        }

        private void refuse(List<String> keys, String why) {
            for (String k : keys) {
                if (seen.containsKey(k)) {
                    throw error(seen.get(k), "'" + k + "' has no meaning " + why);
                }
            }
        }

        private TaskFormatException error(int line, String message) {
            return new TaskFormatException(source, line, message);
        }

        private static int indexOfBlank(String s) {
            int i = 0;
            while (i < s.length() && !Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            return i;
        }

        private static String unquote(String s) {
            return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
        }
    }
}

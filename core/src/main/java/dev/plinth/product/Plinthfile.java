package dev.plinth.product;

import dev.plinth.text.ChatMessage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A product's recipe, like Ollama's Modelfile: one directive per line, in any order,
 * case-insensitive, {@code #} comment lines, and values that run to the end of the line (one pair
 * of surrounding double quotes is removed) or, between {@code """} and {@code """}, over several
 * lines exactly as written.
 * <pre>
 * FROM stories260K.gguf              # a product in the store (name[:tag]), else a GGUF file, a Hugging Face
 *                                    # folder, or a pretraining checkpoint (checkpoint.plnt or its run folder)
 * ADAPTER ./mail-adapter 0.8         # a PEFT folder or a LoRA GGUF, with an optional scale; repeatable
 * SYSTEM """You are a patient tutor.
 * Answer in two sentences."""
 * MESSAGE user What is a noun?       # few-shot turns: user, assistant or system
 * MESSAGE assistant A naming word.
 * TEMPLATE """{% for m in messages %}...{% endfor %}"""   # a Jinja chat template replacing the base's
 * PARAMETER temperature 0.7          # see {@link Parameters.Key}; stop is repeatable
 * LICENSE """..."""                  # repeatable
 * DESCRIPTION A tutor for grammar questions.
 * KNOWLEDGE policies                 # a knowledge base of PLINTH_HOME/knowledge/, stored as a layer (once)
 * </pre>
 * Relative paths resolve against the Plinthfile's folder. Errors are {@link PlinthfileException}s
 * with the line and column.
 */
public final class Plinthfile {

    /** A 1-based line and column in the Plinthfile. */
    public record Position(int line, int column) {
    }

    /** The FROM line: what it names, as written, and where. */
    public record From(String reference, Position at) {
    }

    /** An ADAPTER line: the adapter's path (resolved) and scale. */
    public record Adapter(Path path, float scale, Position at) {
    }

    /** The KNOWLEDGE line: the knowledge base's name, and where. */
    public record Knowledge(String name, Position at) {
    }

    /**
     * An AUDIT line, a gate {@code plinth create} checks before it stores the product: {@code AUDIT
     * task metric op value} (the product's metric compared with a number; op one of {@code >=},
     * {@code <=}, {@code >}, {@code <}), or {@code AUDIT no-regression task} (no metric of the task
     * worse than the parent product's; no probe that passes there failing here).
     *
     * @param task      a built-in task name, or a task file or folder (resolved against the Plinthfile's folder)
     * @param metric    the metric, or null for no-regression
     * @param op        the comparison, or null for no-regression
     * @param threshold the number compared with, or NaN for no-regression
     */
    public record Gate(String task, String metric, String op, double threshold, Position at) {

        public boolean noRegression() {
            return metric == null;
        }

        /** Whether {@code value} passes a threshold gate. */
        public boolean passes(double value) {
            return switch (op) {
                case ">=" -> value >= threshold;
                case "<=" -> value <= threshold;
                case ">" -> value > threshold;
                case "<" -> value < threshold;
                default -> throw new IllegalStateException(op);
            };
        }

        /** The line as a Plinthfile would say it. */
        public String describe() {
            return noRegression() ? "AUDIT no-regression " + task
                    : "AUDIT " + task + " " + metric + " " + op + " " + formatThreshold();
        }

        private String formatThreshold() {
            return threshold == Math.rint(threshold) && Math.abs(threshold) < 1e15 ? Long.toString((long) threshold)
                    : Double.toString(threshold);
        }
    }

    private static final Set<String> ROLES = Set.of("user", "assistant", "system");
    private static final Pattern SCALED = Pattern.compile("(.*\\S)\\s+([-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?)");
    private static final String TRIPLE = "\"\"\"";
    private static final String DIRECTIVES = "FROM, ADAPTER, SYSTEM, MESSAGE, TEMPLATE, PARAMETER, LICENSE, DESCRIPTION, AUDIT or KNOWLEDGE";
    private static final Pattern GATE = Pattern.compile("(\\S+)\\s+([^\\s<>=]+)\\s*(>=|<=|>|<)\\s*(\\S+)");

    private final Path file;
    private From from;
    private final List<Adapter> adapters = new ArrayList<>();
    private String system;
    private final List<ChatMessage> messages = new ArrayList<>();
    private String template;
    private Parameters parameters = Parameters.NONE;
    private final List<String> licenses = new ArrayList<>();
    private String description;
    private Knowledge knowledge;
    private final List<Gate> gates = new ArrayList<>();

    private Plinthfile(Path file) {
        this.file = file;
    }

    /** Reads and parses a Plinthfile (UTF-8). */
    public static Plinthfile read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            return parse(text, file);
        } catch (CharacterCodingException e) {
            throw new PlinthfileException(file, 1, 1, "not UTF-8 text");
        }
    }

    /** Parses Plinthfile text; {@code file} names it in errors and its folder anchors relative paths. */
    public static Plinthfile parse(String text, Path file) {
        Plinthfile p = new Plinthfile(file);
        new Parser(p, text.split("\r?\n", -1)).run();
        if (p.from == null) {
            throw p.error(new Position(1, 1), "no FROM line: a Plinthfile names the base or product it builds on with FROM");
        }
        return p;
    }

    /** An error at {@code at} in this Plinthfile. */
    public PlinthfileException error(Position at, String message) {
        return new PlinthfileException(file, at.line(), at.column(), message);
    }

    /** A path as written in this Plinthfile: {@code ~/} is the home folder, a relative path is against the Plinthfile's folder. */
    public Path resolve(String path) {
        if (path.startsWith("~/")) {
            return Path.of(System.getProperty("user.home")).resolve(path.substring(2)).normalize();
        }
        Path folder = file.toAbsolutePath().getParent();
        return folder.resolve(path).normalize();
    }

    public Path file() {
        return file;
    }

    public From from() {
        return from;
    }

    public List<Adapter> adapters() {
        return List.copyOf(adapters);
    }

    /** The profile these lines give (only what they set). */
    public Profile profile() {
        return new Profile(system, messages, template, Profile.JINJA, parameters);
    }

    public List<String> licenses() {
        return List.copyOf(licenses);
    }

    /** The DESCRIPTION, or null. */
    public String description() {
        return description;
    }

    /** The KNOWLEDGE line, if any. */
    public Optional<Knowledge> knowledge() {
        return Optional.ofNullable(knowledge);
    }

    /** The AUDIT gates, in order. */
    public List<Gate> gates() {
        return List.copyOf(gates);
    }

    /** One pass over the lines, filling the Plinthfile. */
    private static final class Parser {
        private final Plinthfile p;
        private final String[] lines;
        private final Map<String, Integer> seenOnce = new HashMap<>();
        private final Map<Parameters.Key, Integer> seenParameters = new HashMap<>();
        private int index;

        Parser(Plinthfile p, String[] lines) {
            this.p = p;
            this.lines = lines;
        }

        void run() {
            for (index = 0; index < lines.length; index++) {
                String line = lines[index];
                int start = firstNonBlank(line, 0);
                if (start == line.length() || line.charAt(start) == '#') {
                    continue;
                }
                int end = start;
                while (end < line.length() && !Character.isWhitespace(line.charAt(end))) {
                    end++;
                }
                String word = line.substring(start, end).toUpperCase(Locale.ROOT);
                directive(word, new Position(index + 1, start + 1), firstNonBlank(line, end));
            }
        }

        private void directive(String word, Position at, int valueStart) {
            switch (word) {
                case "FROM" -> {
                    once(word, at);
                    Value v = value(word, at, valueStart);
                    p.from = new From(v.text(), v.at());
                }
                case "ADAPTER" -> adapter(at, valueStart);
                case "SYSTEM" -> {
                    once(word, at);
                    p.system = value(word, at, valueStart).text();
                }
                case "TEMPLATE" -> {
                    once(word, at);
                    p.template = value(word, at, valueStart).text();
                }
                case "DESCRIPTION" -> {
                    once(word, at);
                    p.description = value(word, at, valueStart).text();
                }
                case "LICENSE" -> p.licenses.add(value(word, at, valueStart).text());
                case "MESSAGE" -> message(at, valueStart);
                case "PARAMETER" -> parameter(at, valueStart);
                case "KNOWLEDGE" -> {
                    once(word, at);
                    Value v = value(word, at, valueStart);
                    p.knowledge = new Knowledge(v.text(), v.at());
                }
                case "AUDIT" -> gate(at, valueStart);
                default -> throw p.error(at, "unknown directive '" + word + "'; expected " + DIRECTIVES);
            }
        }

        private void once(String word, Position at) {
            Integer first = seenOnce.putIfAbsent(word, at.line());
            if (first != null) {
                throw p.error(at, word + " given twice (first on line " + first + ")");
            }
        }

        private void adapter(Position at, int valueStart) {
            Value v = value("ADAPTER", at, valueStart);
            String path = v.text();
            float scale = 1f;
            Matcher m = SCALED.matcher(path);
            if (!v.quoted() && m.matches()) {
                path = unquote(m.group(1));
                scale = Float.parseFloat(m.group(2));
                if (!Float.isFinite(scale)) {
                    throw p.error(new Position(at.line(), v.at().column() + m.start(2)), "the adapter's scale must be a finite number");
                }
            }
            Path resolved = p.resolve(path);
            if (!Files.exists(resolved)) {
                throw p.error(v.at(), "no such adapter file or folder: " + resolved);
            }
            p.adapters.add(new Adapter(resolved, scale, v.at()));
        }

        private void gate(Position at, int valueStart) {
            Value v = value("AUDIT", at, valueStart);
            String text = v.text().strip();
            String[] words = text.split("\\s+");
            if (words.length == 2 && words[0].equalsIgnoreCase("no-regression")) {
                p.gates.add(new Gate(task(words[1]), null, null, Double.NaN, at));
                return;
            }
            Matcher m = GATE.matcher(text);
            if (!m.matches()) {
                throw p.error(v.at(), "AUDIT is 'AUDIT task metric >= value' (or <=, >, <) or 'AUDIT no-regression task', not '"
                        + text + "'");
            }
            double threshold;
            try {
                threshold = Double.parseDouble(m.group(4));
            } catch (NumberFormatException e) {
                threshold = Double.NaN;
            }
            if (!Double.isFinite(threshold)) {
                throw p.error(new Position(at.line(), v.at().column() + m.start(4)), "the gate's value must be a number, not '"
                        + m.group(4) + "'");
            }
            p.gates.add(new Gate(task(m.group(1)), m.group(2), m.group(3), threshold, at));
        }

        /** A task as written: a built-in name stays, a path (with a '/' or a .task or .jsonl name) is resolved. */
        private String task(String written) {
            boolean path = written.contains("/") || written.endsWith(".task") || written.endsWith(".jsonl");
            return path ? p.resolve(written).toString() : written;
        }

        private void message(Position at, int valueStart) {
            String line = lines[index];
            int roleEnd = valueStart;
            while (roleEnd < line.length() && !Character.isWhitespace(line.charAt(roleEnd))) {
                roleEnd++;
            }
            String role = line.substring(valueStart, roleEnd).toLowerCase(Locale.ROOT);
            Position roleAt = new Position(at.line(), valueStart + 1);
            if (role.isEmpty()) {
                throw p.error(roleAt, "MESSAGE needs a role (user, assistant or system) and a text");
            }
            if (!ROLES.contains(role)) {
                throw p.error(roleAt, "MESSAGE role must be user, assistant or system, not '" + role + "'");
            }
            p.messages.add(new ChatMessage(role, value("MESSAGE " + role, at, firstNonBlank(line, roleEnd)).text()));
        }

        private void parameter(Position at, int valueStart) {
            String line = lines[index];
            int nameEnd = valueStart;
            while (nameEnd < line.length() && !Character.isWhitespace(line.charAt(nameEnd))) {
                nameEnd++;
            }
            String name = line.substring(valueStart, nameEnd);
            Position nameAt = new Position(at.line(), valueStart + 1);
            if (name.isEmpty()) {
                throw p.error(nameAt, "PARAMETER needs a name and a value");
            }
            Parameters.Key key = Parameters.Key.of(name).orElseThrow(() -> p.error(nameAt,
                    "unknown parameter '" + name + "'; known: " + Parameters.Key.names()));
            Integer first = seenParameters.putIfAbsent(key, at.line());
            if (first != null && key != Parameters.Key.STOP) {
                throw p.error(nameAt, "PARAMETER " + key.key() + " given twice (first on line " + first + ")");
            }
            Value v = value("PARAMETER " + key.key(), at, firstNonBlank(line, nameEnd));
            try {
                p.parameters = p.parameters.with(key, v.text());
            } catch (IllegalArgumentException e) {
                throw p.error(v.at(), e.getMessage());
            }
        }

        /** A value starting at {@code start} of the current line: to its end, or a {@code """} block (which may move to a later line). */
        private Value value(String what, Position directiveAt, int start) {
            String line = lines[index];
            Position at = new Position(index + 1, start + 1);
            if (start >= line.length()) {
                throw p.error(new Position(index + 1, line.length() + 1), what + " needs a value");
            }
            if (!line.startsWith(TRIPLE, start)) {
                String text = line.substring(start).strip();
                boolean quoted = text.length() >= 2 && text.startsWith("\"") && text.endsWith("\"");
                return new Value(quoted ? text.substring(1, text.length() - 1) : text, at, quoted);
            }
            StringBuilder text = new StringBuilder();
            String rest = line.substring(start + TRIPLE.length());
            while (true) {
                int close = rest.lastIndexOf(TRIPLE);
                if (close >= 0) {
                    text.append(rest, 0, close);
                    String after = rest.substring(close + TRIPLE.length());
                    if (!after.isBlank()) {
                        int column = lines[index].length() - after.length() + firstNonBlank(after, 0) + 1;
                        throw p.error(new Position(index + 1, column), "text after the closing \"\"\"");
                    }
                    return new Value(text.toString(), at, true);
                }
                text.append(rest);
                if (index + 1 >= lines.length) {
                    throw p.error(at, "the \"\"\" of " + what + " (line " + directiveAt.line() + ") is never closed");
                }
                text.append('\n');
                rest = lines[++index];
            }
        }

        private static String unquote(String s) {
            return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
        }

        private static int firstNonBlank(String s, int from) {
            int i = from;
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            return i;
        }
    }

    private record Value(String text, Position at, boolean quoted) {
    }
}

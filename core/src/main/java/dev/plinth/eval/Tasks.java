package dev.plinth.eval;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Where tasks come from. A task argument is, in this order: a {@code .task} definition file (its
 * data relative to its own folder); a {@code .jsonl} file of probes; another existing file or folder,
 * scored as documents in rolling windows (perplexity); else the name of a built-in definition
 * (resources {@code dev/plinth/eval/tasks/NAME.task}, their data relative to the data folder).
 */
public final class Tasks {

    /** The built-in definitions, each named as its folder under {@code ../shared/data}. */
    public static final List<String> BUILT_IN = List.of("arc-easy", "arc-challenge", "mmlu-redux", "piqa", "boolq",
            "openbookqa", "commonsenseqa", "copa", "siqa", "winogrande", "lambada", "truthfulqa-mc", "truthfulqa-mc2",
            "crows-pairs", "bbq", "winobias");

    private static final String RESOURCES = "/dev/plinth/eval/tasks/";

    private Tasks() {
    }

    /**
     * The data folder of built-in tasks: {@code PLINTH_DATA} when set, else {@code data} under the
     * {@code plinth.shared} system property's folder (default {@code ../shared}).
     */
    public static Path defaultDataRoot(java.util.Map<String, String> environment) {
        String data = environment.get("PLINTH_DATA");
        if (data != null && !data.isBlank()) {
            return Path.of(data);
        }
        return Path.of(System.getProperty("plinth.shared", "../shared")).resolve("data");
    }

    /** Resolves a task argument (see the class comment) and reads its data. */
    public static Task resolve(String spec, Path dataRoot) throws IOException {
        Path path = Path.of(spec);
        String lower = spec.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".task")) {
            String text = Files.readString(path, StandardCharsets.UTF_8);
            TaskDefinition d = TaskDefinition.parse(text, spec);
            Path folder = path.toAbsolutePath().getParent();
            return Task.load(d, text, folder.resolve(d.data()));
        }
        if (Files.exists(path) && lower.endsWith(".jsonl")) {
            String text = "task " + taskName(path) + "\ntype probes\ndata " + path.toAbsolutePath() + "\n";
            return Task.load(TaskDefinition.parse(text, spec), text, path);
        }
        if (Files.exists(path)) {
            String text = "task " + taskName(path) + "\ntype rolling\nformat text\ndata " + path.toAbsolutePath() + "\n";
            return Task.load(TaskDefinition.parse(text, spec), text, path);
        }
        return Task.load(builtIn(spec), definitionText(spec), dataRoot.resolve(builtIn(spec).data()));
    }

    /** A built-in definition by name. */
    public static TaskDefinition builtIn(String name) throws IOException {
        return TaskDefinition.parse(definitionText(name), "tasks/" + name + ".task");
    }

    private static String definitionText(String name) throws IOException {
        if (!BUILT_IN.contains(name)) {
            throw new IllegalArgumentException("no task '" + name + "': not a file or folder, and not one of the built-in tasks "
                    + String.join(", ", BUILT_IN));
        }
        try (InputStream in = Tasks.class.getResourceAsStream(RESOURCES + name + ".task")) {
            if (in == null) {
                throw new IllegalStateException("the built-in task " + name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A task name from a file or folder: its name without the extension, lower-cased, other characters as '-'. */
    private static String taskName(Path path) {
        String name = path.toAbsolutePath().normalize().getFileName().toString();
        int dot = name.lastIndexOf('.');
        if (dot > 0 && !Files.isDirectory(path)) {
            name = name.substring(0, dot);
        }
        String clean = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
        return clean.matches("[a-z0-9].*") ? clean : "t" + clean;
    }
}

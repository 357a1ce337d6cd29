package dev.plinth.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.io.AtomicFiles;
import dev.plinth.model.GenerationResult;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code plinth run --input prompts.jsonl --output completions.jsonl} as a worker on another machine redoes
 * it: the command line as given (with the seed fixed) and Plinth's environment variables (where the product store is).
 * A worker parses the command line again and opens the same model, profile and knowledge, so every prompt
 * runs through the same code as {@code plinth run PROMPT}.
 */
public record RunWork(List<String> arguments, Map<String, String> environment) implements Serializable {

    /** One prompt of the input file: its id (the {@code id} field, else the line number) and text. */
    public record Prompt(String id, String text) implements Serializable {
    }

    /** What a prompt produced: the generated text, why it stopped, how many tokens. */
    public record Completion(String text, String finish, int tokens) implements Serializable {
    }

    private static final Map<RunWork, RunCommand.Completer> OPEN = new ConcurrentHashMap<>();

    public RunWork {
        arguments = List.copyOf(arguments);
        environment = Console.forWorkers(environment);
    }

    /** Completes {@code prompts} in order, opening the model for them and closing it after. */
    public List<Completion> complete(List<Prompt> prompts) throws IOException {
        try (RunCommand.Completer completer = open()) {
            return complete(completer, prompts);
        }
    }

    /** Completes {@code prompts} in order with this JVM's model, opened on first use and kept open (an executor's). */
    public List<Completion> completeKeepingOpen(List<Prompt> prompts) throws IOException {
        RunCommand.Completer completer = OPEN.get(this);
        if (completer == null) {
            synchronized (OPEN) {
                completer = OPEN.get(this);
                if (completer == null) {
                    completer = open();
                    OPEN.put(this, completer);
                }
            }
        }
        synchronized (completer) {
            return complete(completer, prompts);
        }
    }

    private static List<Completion> complete(RunCommand.Completer completer, List<Prompt> prompts) throws IOException {
        List<Completion> out = new ArrayList<>(prompts.size());
        for (Prompt p : prompts) {
            GenerationResult r = completer.complete(p.text(), piece -> { }).result();
            out.add(new Completion(r.text(), r.finish().label(), r.tokens().length));
        }
        return out;
    }

    private RunCommand.Completer open() throws IOException {
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
        Console console = new Console(nowhere, nowhere, InputStream.nullInputStream(), environment);
        picocli.CommandLine.ParseResult parsed = Main.commandLine(console).parseArgs(arguments.toArray(String[]::new));
        if (!parsed.hasSubcommand() || !(parsed.subcommand().commandSpec().userObject() instanceof RunCommand run)) {
            throw new IllegalArgumentException("not a plinth run command line: " + arguments);
        }
        return run.openCompleter();
    }

    /** The prompts of a JSONL file: one object per non-blank line with a string {@code prompt}. */
    static List<Prompt> readPrompts(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Prompt> prompts = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode line;
            try {
                line = json.readTree(lines.get(i));
            } catch (JsonProcessingException e) {
                throw new CliException(file + ":" + (i + 1) + ": not JSON: " + e.getOriginalMessage());
            }
            JsonNode prompt = line.get("prompt");
            if (prompt == null || !prompt.isTextual()) {
                throw new CliException(file + ":" + (i + 1) + ": no \"prompt\" string");
            }
            JsonNode id = line.get("id");
            prompts.add(new Prompt(id == null || id.isNull() ? Integer.toString(i + 1) : id.asText(), prompt.asText()));
        }
        return prompts;
    }

    /** One line per prompt, in order: id, completion, finish reason, tokens generated. */
    static void writeCompletions(Path file, List<Prompt> prompts, List<Completion> completions) throws IOException {
        ObjectMapper json = new ObjectMapper();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < prompts.size(); i++) {
            ObjectNode line = json.createObjectNode();
            line.put("id", prompts.get(i).id());
            line.put("completion", completions.get(i).text());
            line.put("finish", completions.get(i).finish());
            line.put("tokens", completions.get(i).tokens());
            out.append(json.writeValueAsString(line)).append('\n');
        }
        byte[] bytes = out.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(bytes)));
    }
}

package dev.plinth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.train.ClassificationMetrics;
import dev.plinth.train.Classifier;
import dev.plinth.train.data.DataReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth classify}: the label of a text, or of every row of a file, with a classification adapter. */
@Command(name = "classify",
        description = {"Classify TEXT, or every row of --file, with a classifier from plinth finetune --task classify:",
                "MODEL is the base GGUF (for a full fine-tune, its model.gguf), --adapter the PEFT folder with the head.",
                "Prints the label and every label's probability; with labelled rows, accuracy, macro-F1 and the "
                        + "confusion matrix."},
        sortOptions = false)
final class ClassifyCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The base GGUF file.")
    Path model;

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "The classification adapter (PEFT folder).")
    Path adapter;

    @Parameters(index = "1", arity = "0..1", paramLabel = "TEXT", description = "A text to classify.")
    String text;

    @Option(names = "--file", paramLabel = "FILE", description = "JSONL {\"text\"[, \"label\"]} or CSV with text[, label] columns.")
    Path file;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON document.")
    boolean json;

    ClassifyCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        if ((text == null) == (file == null)) {
            throw new ParameterException(spec.commandLine(), "give either TEXT or --file FILE");
        }
        try (Classifier classifier = Classifier.open(model, adapter)) {
            List<String> texts = new ArrayList<>();
            List<String> truth = new ArrayList<>();
            if (text != null) {
                texts.add(text);
            } else {
                read(file, texts, truth);
            }
            List<Classifier.Prediction> predictions = classifier.classify(texts);
            ClassificationMetrics metrics = truth.isEmpty() ? null : metrics(classifier.labels(), truth, predictions);
            if (json) {
                printJson(classifier.labels(), predictions, metrics);
            } else {
                printText(classifier.labels(), predictions, metrics);
            }
        }
        console.out().flush();
        return Main.OK;
    }

    /** The texts of a file's rows, and their labels when every row has one. */
    private static void read(Path file, List<String> texts, List<String> truth) throws IOException {
        for (DataReader.Row row : DataReader.read(file, false).rows()) {
            switch (row) {
                case DataReader.Row.Labelled l -> {
                    texts.add(l.text());
                    truth.add(l.label());
                }
                case DataReader.Row.Text t -> texts.add(t.text());
                default -> throw new CliException(file + ":" + row.line() + ": not a row to classify; give {\"text\"[, \"label\"]}");
            }
        }
    }

    private static ClassificationMetrics metrics(List<String> labels, List<String> truth, List<Classifier.Prediction> p) {
        int[] t = new int[truth.size()];
        int[] predicted = new int[truth.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = labels.indexOf(truth.get(i));
            if (t[i] < 0) {
                throw new CliException("row " + (i + 1) + " has the label '" + truth.get(i) + "', which is not one the classifier"
                        + " knows (" + String.join(", ", labels) + ")");
            }
            predicted[i] = p.get(i).label();
        }
        return ClassificationMetrics.of(labels, t, predicted);
    }

    private void printText(List<String> labels, List<Classifier.Prediction> predictions, ClassificationMetrics metrics) {
        PrintStream out = console.out();
        for (Classifier.Prediction p : predictions) {
            StringBuilder line = new StringBuilder(labels.get(p.label()));
            for (int c = 0; c < labels.size(); c++) {
                line.append(c == 0 ? "\t" : " ").append(labels.get(c)).append('=')
                        .append(String.format(Locale.ROOT, "%.4f", p.probabilities()[c]));
            }
            out.println(line);
        }
        if (metrics == null) {
            return;
        }
        out.printf(Locale.ROOT, "accuracy %.4f (%d/%d)%n", metrics.accuracy(), metrics.correct(), metrics.total());
        out.printf(Locale.ROOT, "macro-F1 %.4f%n", metrics.macroF1());
        out.println("confusion matrix (rows: true label, columns: predicted)");
        int width = Math.max(5, labels.stream().mapToInt(String::length).max().orElse(5));
        StringBuilder head = new StringBuilder(" ".repeat(width));
        labels.forEach(l -> head.append("  ").append(pad(l, width)));
        out.println(head);
        for (int r = 0; r < labels.size(); r++) {
            StringBuilder row = new StringBuilder(String.format("%-" + width + "s", labels.get(r)));
            for (int c = 0; c < labels.size(); c++) {
                row.append("  ").append(pad(Long.toString(metrics.confusion()[r][c]), width));
            }
            out.println(row);
        }
    }

    private static String pad(String s, int width) {
        return " ".repeat(Math.max(0, width - s.length())) + s;
    }

    private void printJson(List<String> labels, List<Classifier.Prediction> predictions, ClassificationMetrics metrics)
            throws IOException {
        ArrayNode rows = JSON.createArrayNode();
        for (Classifier.Prediction p : predictions) {
            ObjectNode row = rows.addObject();
            row.put("label", labels.get(p.label()));
            ObjectNode probabilities = row.putObject("probabilities");
            for (int c = 0; c < labels.size(); c++) {
                probabilities.put(labels.get(c), p.probabilities()[c]);
            }
        }
        if (text != null) {
            console.out().println(JSON.writeValueAsString(rows.get(0)));
            return;
        }
        ObjectNode doc = JSON.createObjectNode();
        doc.set("predictions", rows);
        if (metrics != null) {
            ObjectNode m = doc.putObject("metrics");
            m.put("accuracy", metrics.accuracy());
            m.put("macroF1", metrics.macroF1());
            m.set("labels", JSON.valueToTree(labels));
            m.set("confusion", JSON.valueToTree(metrics.confusion()));
        }
        console.out().println(JSON.writeValueAsString(doc));
    }
}

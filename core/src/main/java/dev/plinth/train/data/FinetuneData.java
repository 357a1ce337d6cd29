package dev.plinth.train.data;

import dev.plinth.text.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Fine-tuning data read ({@link DataReader}), split and encoded ({@link ExampleEncoder}): a
 * validation split of whole rows chosen by a seeded shuffle (the same seed and rows give the same
 * split), and the examples of each side in file order.
 *
 * <pre>{@code
 * FinetuneData d = FinetuneData.load(Path.of("chat.jsonl"), new FinetuneData.Options(Task.CHAT, 512, false, 0.1, 1),
 *         tokenizer, ChatRenderer.CHATML);
 * }</pre>
 */
public final class FinetuneData {

    /**
     * How to read: the task (null: the format's own), input tokens per example, whether malformed rows
     * are skipped rather than refused, the share of rows held out for validation, and the split's seed.
     */
    public record Options(DataFormat.Task task, int context, boolean skipBad, double validationFraction, long seed) {
        public Options {
            if (context < 1) {
                throw new IllegalArgumentException("the context must be at least one token, was " + context);
            }
            if (!(validationFraction >= 0 && validationFraction < 1)) {
                throw new IllegalArgumentException("the validation fraction must be in [0, 1), was " + validationFraction);
            }
        }
    }

    private final DataReader.Rows rows;
    private final DataFormat.Task task;
    private final List<String> labels;
    private final List<Example> train;
    private final List<Example> validation;
    private final int trainRows;
    private final int validationRows;
    private final long dropped;

    private FinetuneData(DataReader.Rows rows, DataFormat.Task task, List<String> labels, List<Example> train,
                         List<Example> validation, int trainRows, int validationRows, long dropped) {
        this.rows = rows;
        this.task = task;
        this.labels = labels;
        this.train = train;
        this.validation = validation;
        this.trainRows = trainRows;
        this.validationRows = validationRows;
        this.dropped = dropped;
    }

    /**
     * Reads {@code data} (any format but a built corpus) for {@code options.task()}: refused with an
     * {@link IllegalArgumentException} when the data cannot train that task, with a
     * {@link MalformedDataException} at the first malformed row unless {@code skipBad}.
     */
    public static FinetuneData load(Path data, Options options, Tokenizer tokenizer, ChatRenderer renderer)
            throws IOException {
        DataFormat format = DataReader.detect(data);
        DataFormat.Task task = options.task() == null ? format.defaultTask() : options.task();
        if (!format.trains(task)) {
            throw new IllegalArgumentException(data + " is " + format.description() + " data, which cannot train --task "
                    + task.cliName() + " (it trains " + format.defaultTask().cliName() + ")");
        }
        DataReader.Rows rows = DataReader.read(data, options.skipBad());
        if (rows.rows().isEmpty()) {
            throw new IllegalArgumentException(data + " holds no usable rows" + (rows.skipped() > 0 ? " (" + rows.skipped()
                    + " malformed ones skipped)" : ""));
        }
        List<String> labels = task == DataFormat.Task.CLASSIFY ? labels(rows.rows()) : List.of();
        Map<String, Integer> index = new LinkedHashMap<>();
        labels.forEach(l -> index.put(l, index.size()));
        ExampleEncoder encoder = new ExampleEncoder(tokenizer, renderer, task, options.context(), index);
        boolean[] held = heldOut(rows.rows().size(), options.validationFraction(), options.seed());
        List<Example> train = new ArrayList<>();
        List<Example> validation = new ArrayList<>();
        long dropped = 0;
        int heldRows = 0;
        for (int i = 0; i < rows.rows().size(); i++) {
            List<Example> examples;
            try {
                examples = encoder.encode(rows.rows().get(i));
            } catch (MalformedDataException e) {
                if (!options.skipBad()) {
                    throw e;
                }
                rows = withSkipped(rows, e);
                continue;
            }
            dropped += examples.isEmpty() ? 1 : 0;
            (held[i] ? validation : train).addAll(examples);
            heldRows += held[i] ? 1 : 0;
        }
        if (train.isEmpty()) {
            throw new IllegalArgumentException(data + ": no training example is left (" + dropped
                    + " rows had nothing to learn within " + options.context() + " tokens)");
        }
        return new FinetuneData(rows, task, labels, List.copyOf(train), List.copyOf(validation),
                rows.rows().size() - heldRows, heldRows, dropped);
    }

    private static DataReader.Rows withSkipped(DataReader.Rows rows, MalformedDataException e) {
        List<String> reasons = new ArrayList<>(rows.skipReasons());
        if (reasons.size() < 5) {
            reasons.add(e.getMessage());
        }
        return new DataReader.Rows(rows.format(), rows.files(), rows.rows(), rows.skipped() + 1, reasons);
    }

    /** The distinct labels: in numeric order when all are whole numbers, else in text order. */
    private static List<String> labels(List<DataReader.Row> rows) {
        TreeSet<String> distinct = new TreeSet<>();
        rows.forEach(r -> distinct.add(((DataReader.Row.Labelled) r).label()));
        boolean numeric = distinct.stream().allMatch(l -> l.matches("-?\\d{1,9}"));
        List<String> sorted = new ArrayList<>(distinct);
        if (numeric) {
            sorted.sort(Comparator.comparingInt(Integer::parseInt));
        }
        if (sorted.size() < 2) {
            throw new IllegalArgumentException("classification needs at least two labels; the data has " + sorted);
        }
        return List.copyOf(sorted);
    }

    /**
     * Which of {@code n} rows are held out: {@code round(n·fraction)} of them (at least one when the
     * fraction is positive and there are two rows or more), chosen by a shuffle seeded with {@code seed}.
     */
    static boolean[] heldOut(int n, double fraction, long seed) {
        int k = (int) Math.round(n * fraction);
        if (fraction > 0 && n >= 2) {
            k = Math.max(1, Math.min(n - 1, k));
        }
        int[] order = ExampleBatches.permutation(n, seed);
        boolean[] held = new boolean[n];
        for (int i = 0; i < k; i++) {
            held[order[i]] = true;
        }
        return held;
    }

    public DataFormat format() {
        return rows.format();
    }

    public DataFormat.Task task() {
        return task;
    }

    /** The class labels in index order (classification), else empty. */
    public List<String> labels() {
        return labels;
    }

    public List<Example> train() {
        return train;
    }

    public List<Example> validation() {
        return validation;
    }

    /** Rows left out as malformed (with {@code skipBad}). */
    public long skipped() {
        return rows.skipped();
    }

    /** Why the first few skipped rows were left out. */
    public List<String> skipReasons() {
        return rows.skipReasons();
    }

    /** Rows left with nothing to learn once cut to the context. */
    public long dropped() {
        return dropped;
    }

    public List<Path> files() {
        return rows.files();
    }

    /** Rows read (usable), of which held out for validation. */
    public int rowCount() {
        return rows.rows().size();
    }

    public int trainRows() {
        return trainRows;
    }

    public int validationRows() {
        return validationRows;
    }
}

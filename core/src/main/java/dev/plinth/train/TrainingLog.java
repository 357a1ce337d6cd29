package dev.plinth.train;

import dev.plinth.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The per-step record of a run, written as CSV and drawn as an SVG plot. */
final class TrainingLog {

    /** One optimizer step; {@code valLoss} is NaN on steps without a validation pass. */
    record Row(long step, double lr, float trainLoss, double valLoss, double tokensPerSecond, double gradNorm) {
    }

    static final String CSV_HEADER = "step,lr,train_loss,val_loss,tokens_per_s,grad_norm";

    private final List<Row> rows;

    TrainingLog(List<Row> rows) {
        this.rows = new ArrayList<>(rows);
    }

    void add(Row r) {
        rows.add(r);
    }

    List<Row> rows() {
        return List.copyOf(rows);
    }

    /** The latest validation loss, or NaN before the first. */
    double lastValLoss() {
        for (int i = rows.size() - 1; i >= 0; i--) {
            if (!Double.isNaN(rows.get(i).valLoss())) {
                return rows.get(i).valLoss();
            }
        }
        return Double.NaN;
    }

    String csv() {
        StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
        for (Row r : rows) {
            sb.append(r.step()).append(',').append(String.format(Locale.ROOT, "%.6g", r.lr())).append(',')
                    .append(r.trainLoss()).append(',').append(Double.isNaN(r.valLoss()) ? "" : Double.toString(r.valLoss()))
                    .append(',').append(String.format(Locale.ROOT, "%.1f", r.tokensPerSecond())).append(',')
                    .append(String.format(Locale.ROOT, "%.6g", r.gradNorm())).append('\n');
        }
        return sb.toString();
    }

    void writeCsv(Path file) throws IOException {
        AtomicFiles.write(file, csv());
    }

    void writeSvg(Path file, String title) throws IOException {
        AtomicFiles.write(file, LossPlot.svg(rows, title));
    }
}

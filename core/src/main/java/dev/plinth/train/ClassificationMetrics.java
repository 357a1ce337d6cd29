package dev.plinth.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Accuracy, per-class precision, recall and F1, macro-F1 and the confusion matrix of predicted
 * against true class indices. Macro-F1 averages the F1 of the classes that occur among the true
 * or the predicted labels (as scikit-learn's {@code f1_score(average="macro")} does by default);
 * a class never predicted and never true counts in neither, and an F1 of 0/0 is 0.
 *
 * @param labels    the class names, by index
 * @param confusion {@code confusion[true][predicted]} counts
 */
public record ClassificationMetrics(List<String> labels, long[][] confusion) {

    /** The metrics of {@code predicted} against {@code truth} (class indices into {@code labels}). */
    public static ClassificationMetrics of(List<String> labels, int[] truth, int[] predicted) {
        if (truth.length != predicted.length) {
            throw new IllegalArgumentException(truth.length + " true labels but " + predicted.length + " predictions");
        }
        long[][] confusion = new long[labels.size()][labels.size()];
        for (int i = 0; i < truth.length; i++) {
            confusion[truth[i]][predicted[i]]++;
        }
        return new ClassificationMetrics(List.copyOf(labels), confusion);
    }

    public long total() {
        long n = 0;
        for (long[] row : confusion) {
            for (long c : row) {
                n += c;
            }
        }
        return n;
    }

    public long correct() {
        long n = 0;
        for (int i = 0; i < confusion.length; i++) {
            n += confusion[i][i];
        }
        return n;
    }

    public double accuracy() {
        return total() == 0 ? 0 : (double) correct() / total();
    }

    /** Of the examples predicted as {@code c}, the share that are {@code c} (0 when none is). */
    public double precision(int c) {
        long predicted = 0;
        for (long[] row : confusion) {
            predicted += row[c];
        }
        return predicted == 0 ? 0 : (double) confusion[c][c] / predicted;
    }

    /** Of the examples that are {@code c}, the share predicted as {@code c} (0 when none is). */
    public double recall(int c) {
        long actual = 0;
        for (long v : confusion[c]) {
            actual += v;
        }
        return actual == 0 ? 0 : (double) confusion[c][c] / actual;
    }

    public double f1(int c) {
        double p = precision(c);
        double r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /** The classes that occur among the true or the predicted labels. */
    public List<Integer> present() {
        List<Integer> present = new ArrayList<>();
        for (int c = 0; c < confusion.length; c++) {
            long seen = 0;
            for (int k = 0; k < confusion.length; k++) {
                seen += confusion[c][k] + confusion[k][c];
            }
            if (seen > 0) {
                present.add(c);
            }
        }
        return present;
    }

    public double macroF1() {
        List<Integer> present = present();
        return present.isEmpty() ? 0 : present.stream().mapToDouble(this::f1).sum() / present.size();
    }
}

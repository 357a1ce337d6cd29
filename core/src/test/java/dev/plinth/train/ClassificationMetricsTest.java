package dev.plinth.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Accuracy, per-class F1, macro-F1 and the confusion matrix on cases worked by hand. */
class ClassificationMetricsTest {

    @Test
    void threeClassesWorkedByHand() {
        // truth a a a b b c, predicted a a b b c c
        ClassificationMetrics m = ClassificationMetrics.of(List.of("a", "b", "c"), new int[] {0, 0, 0, 1, 1, 2},
                new int[] {0, 0, 1, 1, 2, 2});
        assertArrayEquals(new long[] {2, 1, 0}, m.confusion()[0]);
        assertArrayEquals(new long[] {0, 1, 1}, m.confusion()[1]);
        assertArrayEquals(new long[] {0, 0, 1}, m.confusion()[2]);
        assertEquals(4.0 / 6, m.accuracy(), 1e-12);
        // a: P 2/2, R 2/3, F1 0.8; b: P 1/2, R 1/2, F1 0.5; c: P 1/2, R 1/1, F1 2/3
        assertEquals(0.8, m.f1(0), 1e-12);
        assertEquals(0.5, m.f1(1), 1e-12);
        assertEquals(2.0 / 3, m.f1(2), 1e-12);
        assertEquals((0.8 + 0.5 + 2.0 / 3) / 3, m.macroF1(), 1e-12);
    }

    @Test
    void aClassNeitherTrueNorPredictedDoesNotCountAndZeroOverZeroIsZero() {
        // scikit-learn: f1_score([0, 0, 1], [0, 1, 1], average="macro") = 0.6667 with labels 0 and 1 only
        ClassificationMetrics m = ClassificationMetrics.of(List.of("x", "y", "unused"), new int[] {0, 0, 1},
                new int[] {0, 1, 1});
        assertEquals(List.of(0, 1), m.present());
        assertEquals(2.0 / 3, m.macroF1(), 1e-12);
        ClassificationMetrics never = ClassificationMetrics.of(List.of("x", "y"), new int[] {0, 1}, new int[] {0, 0});
        assertEquals(0, never.f1(1));
        assertEquals((2.0 / 3 + 0) / 2, never.macroF1(), 1e-12);
    }
}

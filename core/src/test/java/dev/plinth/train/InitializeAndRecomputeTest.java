package dev.plinth.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.model.DecoderConfig;
import dev.plinth.tensor.autograd.Tape;
import dev.plinth.tensor.autograd.Variable;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InitializeAndRecomputeTest {

    private static DecoderConfig shape(int layers) {
        return PretrainConfig.defaults().with(Map.of("hidden", "64", "layers", Integer.toString(layers), "heads", "4",
                "kv-heads", "2", "ffn", "96", "context", "32"), "test").decoder(100);
    }

    @Test
    void initializationIsSeededAndScaledAsGpt2() {
        DecoderConfig c = shape(8);
        TrainableDecoder a = TrainableDecoder.initialize(c, false, 7);
        TrainableDecoder b = TrainableDecoder.initialize(c, false, 7);
        TrainableDecoder other = TrainableDecoder.initialize(c, false, 8);
        assertEquals(TrainableDecoder.shapes(c, false).keySet(), a.parameters().keySet());
        assertTrue(a.parameters().containsKey("output.weight"));
        assertFalse(TrainableDecoder.initialize(c, 7).parameters().containsKey("output.weight"));
        for (Map.Entry<String, Variable> e : a.parameters().entrySet()) {
            String name = e.getKey();
            float[] w = e.getValue().data();
            assertArrayEquals(w, b.parameters().get(name).data(), name);
            if (name.endsWith("norm.weight")) {
                for (float x : w) {
                    assertEquals(1f, x, name);
                }
                continue;
            }
            assertFalse(Arrays.equals(w, other.parameters().get(name).data()), name + " should depend on the seed");
            double mean = 0;
            double sq = 0;
            for (float x : w) {
                mean += x;
                sq += (double) x * x;
            }
            mean /= w.length;
            double std = Math.sqrt(sq / w.length - mean * mean);
            boolean residual = name.endsWith("attn_output.weight") || name.endsWith("ffn_down.weight");
            double expected = residual ? 0.02 / Math.sqrt(2 * 8) : 0.02;
            assertEquals(expected, std, expected * 0.08, name);
            assertEquals(0, mean, expected * 0.1, name);
        }
    }

    @Test
    void recomputedLayersGiveTheSameLossAndGradientsBitForBit() {
        DecoderConfig c = shape(3);
        SplittableRandom rnd = new SplittableRandom(4);
        int[][] in = new int[3][20];
        int[][] target = new int[3][20];
        for (int b = 0; b < 3; b++) {
            for (int t = 0; t < 20; t++) {
                in[b][t] = rnd.nextInt(100);
                target[b][t] = t % 7 == 3 ? -1 : rnd.nextInt(100);
            }
        }
        for (boolean tied : new boolean[] {true, false}) {
            TrainableDecoder plain = TrainableDecoder.initialize(c, tied, 3);
            TrainableDecoder recomputed = TrainableDecoder.initialize(c, tied, 3);
            Tape t1 = new Tape();
            Variable l1 = plain.loss(t1, in, target, -1, false);
            Tape t2 = new Tape();
            Variable l2 = recomputed.loss(t2, in, target, -1, true);
            assertEquals(l1.data()[0], l2.data()[0]);
            assertTrue(t2.pending() < t1.pending() / 3, "recomputation records " + t2.pending() + " ops, plain " + t1.pending());
            t1.backward(l1, 0.5f);
            t2.backward(l2, 0.5f);
            for (String name : plain.parameters().keySet()) {
                float[] g1 = plain.parameters().get(name).grad();
                float[] g2 = recomputed.parameters().get(name).grad();
                assertNotNull(g2, name);
                assertArrayEquals(g1, g2, name + " (tied " + tied + ")");
            }
        }
    }

    @Test
    void noGradTapeComputesButRecordsNothing() {
        TrainableDecoder m = TrainableDecoder.initialize(shape(2), 1);
        int[][] in = {{1, 2, 3, 4}};
        Tape free = Tape.noGrad();
        Variable loss = m.loss(free, in, in, -1);
        assertEquals(0, free.pending());
        assertEquals(m.loss(new Tape(), in, in, -1).data()[0], loss.data()[0]);
        assertThrows(IllegalStateException.class, () -> free.backward(loss));
    }
}

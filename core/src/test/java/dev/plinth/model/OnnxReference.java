package dev.plinth.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Sentence embeddings from ONNX Runtime (the reference for BERT encoders): padded batches with an
 * attention mask, {@code last_hidden_state} mean-pooled over the mask and scaled to unit length, as
 * sentence-transformers does. Used by tests and benchmarks only.
 */
public final class OnnxReference implements AutoCloseable {
    private static final int BATCH = 16;

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    private final OrtSession session;

    /** A session on {@code onnx}; {@code threads} > 0 fixes ONNX Runtime's intra-op threads. */
    public OnnxReference(Path onnx, int threads) throws OrtException {
        if (threads > 0) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
        }
        session = env.createSession(onnx.toString(), options);
    }

    /** One unit-length embedding per sequence of token ids (each with its [CLS] and [SEP]). */
    public float[][] embed(List<int[]> ids) throws OrtException {
        float[][] out = new float[ids.size()][];
        for (int b0 = 0; b0 < ids.size(); b0 += BATCH) {
            int n = Math.min(BATCH, ids.size() - b0);
            int len = 0;
            for (int i = 0; i < n; i++) {
                len = Math.max(len, ids.get(b0 + i).length);
            }
            long[][] inputIds = new long[n][len];
            long[][] mask = new long[n][len];
            long[][] types = new long[n][len];
            for (int i = 0; i < n; i++) {
                int[] x = ids.get(b0 + i);
                for (int t = 0; t < x.length; t++) {
                    inputIds[i][t] = x[t];
                    mask[i][t] = 1;
                }
            }
            try (OnnxTensor a = OnnxTensor.createTensor(env, inputIds);
                 OnnxTensor m = OnnxTensor.createTensor(env, mask);
                 OnnxTensor ty = OnnxTensor.createTensor(env, types);
                 OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", ty))) {
                float[][][] states = (float[][][]) r.get(0).getValue();
                for (int i = 0; i < n; i++) {
                    out[b0 + i] = meanL2(states[i], mask[i]);
                }
            }
        }
        return out;
    }

    static float[] meanL2(float[][] states, long[] mask) {
        double[] sum = new double[states[0].length];
        int count = 0;
        for (int t = 0; t < states.length; t++) {
            if (mask[t] == 1) {
                count++;
                for (int j = 0; j < sum.length; j++) {
                    sum[j] += states[t][j];
                }
            }
        }
        double norm = 0;
        for (double v : sum) {
            norm += (v / count) * (v / count);
        }
        norm = Math.sqrt(norm);
        float[] e = new float[sum.length];
        for (int j = 0; j < e.length; j++) {
            e[j] = (float) (sum[j] / count / norm);
        }
        return e;
    }

    public static double cosine(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    @Override
    public void close() throws OrtException {
        try {
            session.close();
        } finally {
            options.close();
        }
    }
}

package dev.plinth.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.model.AdapterMismatchException;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.TokenizerLoader;
import dev.plinth.model.lora.LoraAdapter;
import dev.plinth.tensor.autograd.Tape;
import dev.plinth.text.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A classifier made by {@code plinth finetune --task classify}: the base (a GGUF file, mapped and
 * frozen) with the adapter's LoRA pairs and its head ({@value TrainableDecoder#SCORE}) on the last
 * token's final hidden state, computed by the same forward pass as training. Texts are tokenized
 * as training tokenized them (BOS, then the text, cut to the training context).
 */
public final class Classifier implements AutoCloseable {
    private static final int BATCH = 16;

    /** A text's class: the most probable label's index, and every label's probability. */
    public record Prediction(int label, float[] probabilities) {
    }

    private final ModelFile file;
    private final TokenizerLoader tokenizer;
    private final TrainableDecoder model;
    private final List<String> labels;
    private final int context;

    private Classifier(ModelFile file, TokenizerLoader tokenizer, TrainableDecoder model, List<String> labels, int context) {
        this.file = file;
        this.tokenizer = tokenizer;
        this.model = model;
        this.labels = labels;
        this.context = context;
    }

    /**
     * {@code model} (a GGUF file) with the classification adapter {@code adapter} (a PEFT folder with
     * a head). Refused ({@link AdapterMismatchException}) when the adapter has no head, does not fit
     * the base, or records another base.
     */
    public static Classifier open(Path model, Path adapter) throws IOException {
        ModelFile file = ModelFiles.open(model);
        TokenizerLoader tokenizer = null;
        try {
            TrainableDecoder decoder = TrainableDecoder.frozen(file);
            DecoderConfig config = decoder.config();
            LoraAdapter a = LoraAdapter.read(adapter, config);
            if (!a.wholeTensors().containsKey(TrainableDecoder.SCORE)) {
                throw new AdapterMismatchException("adapter " + adapter + " has no classification head ("
                        + TrainableDecoder.SCORE + "); train one with plinth finetune --task classify");
            }
            String recorded = a.metadata().get(LoraAdapter.META_BASE_DIGEST);
            if (recorded != null && !recorded.equalsIgnoreCase(LoraAdapter.baseDigest(model))) {
                throw new AdapterMismatchException("adapter " + adapter + " was trained on the base with sha256 " + recorded
                        + "; " + model + " is another");
            }
            try {
                decoder.apply(a, 1f);
            } catch (IllegalArgumentException e) {
                throw new AdapterMismatchException("adapter " + adapter + ": " + e.getMessage());
            }
            tokenizer = TokenizerLoader.open(model, null);
            int classes = (int) a.wholeTensors().get(TrainableDecoder.SCORE).dim(0);
            String context = a.metadata().get(Finetuner.META_CONTEXT);
            return new Classifier(file, tokenizer, decoder, labels(a, classes),
                    context != null ? Integer.parseInt(context) : Math.min(512, config.contextLength()));
        } catch (IOException | RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            file.close();
            throw e;
        }
    }

    private static List<String> labels(LoraAdapter a, int classes) throws IOException {
        String recorded = a.metadata().get(Finetuner.META_LABELS);
        List<String> labels = new ArrayList<>();
        if (recorded != null) {
            labels.addAll(new ObjectMapper().readValue(recorded, new TypeReference<List<String>>() { }));
        }
        if (labels.size() != classes) {
            labels.clear();
            for (int i = 0; i < classes; i++) {
                labels.add(Integer.toString(i));
            }
        }
        return List.copyOf(labels);
    }

    /** The class names, by index. */
    public List<String> labels() {
        return labels;
    }

    public Tokenizer tokenizer() {
        return tokenizer.tokenizer();
    }

    /** The prediction for each text, in order (texts go through the model a batch at a time). */
    public List<Prediction> classify(List<String> texts) {
        List<Prediction> out = new ArrayList<>(texts.size());
        for (int from = 0; from < texts.size(); from += BATCH) {
            out.addAll(batch(texts.subList(from, Math.min(texts.size(), from + BATCH))));
        }
        return out;
    }

    private List<Prediction> batch(List<String> texts) {
        int[][] ids = new int[texts.size()][];
        int longest = 1;
        for (int i = 0; i < ids.length; i++) {
            int[] t = tokenizer().encode(texts.get(i), true, false);
            ids[i] = Arrays.copyOf(t, Math.max(1, Math.min(t.length, context)));
            longest = Math.max(longest, ids[i].length);
        }
        int[][] padded = new int[ids.length][];
        int[] last = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            padded[i] = Arrays.copyOf(ids[i], longest);
            last[i] = ids[i].length - 1;
        }
        float[] logits = model.classify(Tape.noGrad(), padded, last, TrainableDecoder.Pass.EVAL).data();
        List<Prediction> out = new ArrayList<>();
        int n = labels.size();
        for (int i = 0; i < ids.length; i++) {
            out.add(softmax(Arrays.copyOfRange(logits, i * n, (i + 1) * n)));
        }
        return out;
    }

    private static Prediction softmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            best = logits[i] > logits[best] ? i : best;
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - logits[best]);
        }
        float[] p = new float[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (Math.exp(logits[i] - logits[best]) / sum);
        }
        return new Prediction(best, p);
    }

    @Override
    public void close() {
        tokenizer.close();
        file.close();
    }
}

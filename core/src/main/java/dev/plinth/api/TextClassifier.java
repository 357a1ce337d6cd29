package dev.plinth.api;

import dev.plinth.train.Classifier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A classifier fine-tuned with Plinth ({@code plinth finetune --task classify}, or {@code
 * dev.plinth.api.tune.FineTuning} in plinth-templates): the base with the adapter's LoRA pairs and
 * classification head.
 *
 * <pre>{@code
 * try (TextClassifier c = TextClassifier.open(Path.of("base.gguf"), Path.of("run/adapter"))) {
 *     TextClassifier.Label l = c.classify("The invoice is attached.");   // l.name(), l.probability()
 * }
 * }</pre>
 */
public final class TextClassifier implements AutoCloseable {

    /** A text's class: the most probable label, its probability, and every label's probability. */
    public record Label(String name, float probability, Map<String, Float> probabilities) {
    }

    private final Classifier classifier;

    private TextClassifier(Classifier classifier) {
        this.classifier = classifier;
    }

    /**
     * {@code base} (a GGUF file) with the classification adapter {@code adapter} (the PEFT folder the
     * fine-tune wrote, with its head).
     *
     * @throws dev.plinth.model.AdapterMismatchException when the adapter has no head or was trained on another base
     */
    public static TextClassifier open(Path base, Path adapter) throws IOException {
        return new TextClassifier(Classifier.open(base, adapter));
    }

    /** The class names, in the order the head scores them. */
    public List<String> labels() {
        return classifier.labels();
    }

    public Label classify(String text) {
        return classifyAll(List.of(text)).getFirst();
    }

    /** One label per text, in order. */
    public synchronized List<Label> classifyAll(List<String> texts) {
        List<Label> out = new ArrayList<>();
        for (Classifier.Prediction p : classifier.classify(texts)) {
            Map<String, Float> probabilities = new LinkedHashMap<>();
            for (int i = 0; i < p.probabilities().length; i++) {
                probabilities.put(labels().get(i), p.probabilities()[i]);
            }
            out.add(new Label(labels().get(p.label()), p.probabilities()[p.label()], probabilities));
        }
        return out;
    }

    @Override
    public void close() {
        classifier.close();
    }
}

package dev.plinth.product.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.eval.Evaluator;
import dev.plinth.eval.Task;
import dev.plinth.eval.TaskResult;
import dev.plinth.io.AtomicFiles;
import dev.plinth.product.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Task results kept by (model, task): {@code <root>/<evaluation digest>/<task key>.json}, the task key
 * a digest of the task's digest and the options that change a result (limit, shots, maximum length,
 * bootstrap). Written atomically; a file that cannot be read counts as absent.
 */
public final class EvalCache {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;

    public EvalCache(Path root) {
        this.root = root;
    }

    /** The cache of a store: {@code PLINTH_HOME/cache/eval}. */
    public static EvalCache of(dev.plinth.product.Store store) {
        return new EvalCache(store.root().resolve("cache").resolve("eval"));
    }

    /** The key of {@code task} run with {@code options} at {@code maxLength} tokens. */
    public static String taskKey(Task task, Evaluator.Options options, int maxLength) {
        String text = task.digest() + " limit=" + options.limit() + " shots=" + options.shots() + " length=" + maxLength
                + " bootstrap=" + options.bootstrapIterations() + " seed=" + options.seed();
        return Digest.of(text.getBytes(StandardCharsets.UTF_8)).hex();
    }

    public Optional<TaskResult> get(Digest model, String taskKey) {
        Path file = file(model, taskKey);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(TaskResult.fromJson(JSON.readTree(file.toFile())));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    public void put(Digest model, String taskKey, TaskResult result) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(result.toJson(JSON));
        Path file = file(model, taskKey);
        Files.createDirectories(file.getParent());
        AtomicFiles.write(file, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    private Path file(Digest model, String taskKey) {
        return root.resolve(model.hex()).resolve(taskKey + ".json");
    }
}

package dev.plinth.api.tune;

import dev.plinth.model.ModelRuntime;
import dev.plinth.text.template.ChatTemplate;
import dev.plinth.train.FinetuneConfig;
import dev.plinth.train.Finetuner;
import dev.plinth.train.Trainer;
import dev.plinth.train.data.ChatRenderer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Fine-tuning as {@code plinth finetune} runs it: LoRA on the frozen base by default (or full
 * fine-tuning, or a classification head), on chat, prompt/completion, text or classification
 * data told by content; chat data rendered with the base's own template (ChatML without one).
 *
 * <pre>{@code
 * FineTuning.Result r = FineTuning.run(Path.of("base.gguf"), Path.of("train.jsonl"), Path.of("run"),
 *         Map.of("steps", "100", "rank", "8"), progress -> System.out.println(progress.trainLoss()));
 * // r.adapter(): a PEFT folder; r.adapterGguf(): llama.cpp's LoRA GGUF; a product takes either (ADAPTER in a Plinthfile)
 * }</pre>
 */
public final class FineTuning {

    /**
     * What a run wrote.
     *
     * @param adapter     the PEFT folder (LoRA pairs, or a classifier's head), or null
     * @param adapterGguf the LoRA GGUF llama.cpp loads (LoRA without a head), or null
     * @param model       the new base of a full fine-tune, or null
     * @param steps       the optimizer steps taken
     * @param lastValLoss the last validation loss (NaN when none was measured)
     */
    public record Result(Path adapter, Path adapterGguf, Path model, long steps, double lastValLoss) {
    }

    private FineTuning() {
    }

    /**
     * Trains on {@code data} (a file or folder) over {@code base} (a GGUF file, a Hugging Face folder
     * or a pretraining checkpoint) into the new folder {@code out}. {@code settings} are {@code plinth
     * finetune}'s flags without their dashes ({@link FinetuneConfig}: {@code method}, {@code task},
     * {@code rank}, {@code alpha}, {@code steps}, {@code lr}, ...); {@code onStep} hears each step.
     *
     * @throws IllegalArgumentException when a setting is unknown or out of range
     */
    public static Result run(Path base, Path data, Path out, Map<String, String> settings,
                             Consumer<Trainer.Progress> onStep) throws IOException {
        Finetuner.Base resolved = Finetuner.Base.resolve(base, out);
        FinetuneConfig config = FinetuneConfig.defaults().with(settings, "settings");
        try (ModelRuntime runtime = ModelRuntime.open(resolved.gguf(), null)) {
            ChatRenderer renderer = ChatTemplate.of(runtime)::render;
            try (Finetuner finetuner = Finetuner.create(resolved, data, out, config, runtime.tokenizer(), renderer)) {
                Trainer.Result r = finetuner.run(onStep::accept);
                return new Result(existing(out.resolve(Finetuner.ADAPTER_DIR)), existing(out.resolve(Finetuner.ADAPTER_GGUF)),
                        existing(out.resolve(Finetuner.MODEL_GGUF)), r.step(), r.lastValLoss());
            }
        }
    }

    private static Path existing(Path p) {
        return Files.exists(p) ? p : null;
    }
}

package dev.plinth.cli;

import dev.plinth.model.AppliedAdapter;
import dev.plinth.model.ModelRuntime;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --adapter A[:SCALE]}, repeatable: the LoRA adapters {@code run} and {@code chat} apply (a picocli mixin). */
final class AdapterOptions {

    @Option(names = "--adapter", paramLabel = "A[:SCALE]",
            description = {"Apply a LoRA adapter without merging it: a PEFT folder or a llama.cpp LoRA GGUF,",
                "scaled by SCALE (default 1). Repeatable; the adapters add up."})
    List<String> adapters = new ArrayList<>();

    List<AppliedAdapter.Spec> specs() {
        return adapters.stream().map(AppliedAdapter::parse).toList();
    }

    /** Says on standard error (with --verbose) which adapters the runtime applies. */
    static void report(Console console, ModelRuntime runtime) {
        for (AppliedAdapter a : runtime.adapters()) {
            console.debug("adapter %s: %d pairs, scale %s", a.name(), a.adapter().pairs().size(), a.scale());
        }
    }
}

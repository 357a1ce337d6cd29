package dev.plinth.model;

import dev.plinth.model.lora.LoraAdapter;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A LoRA adapter as a sequence applies it: each adapted product becomes
 * {@code y = W·x + scale·(alpha/r)·B·(A·x)} ({@link LoraAdapter#scale} gives {@code alpha/r}).
 *
 * @param name    what messages call it (the file name)
 * @param adapter the adapter, its pairs under the base's GGUF weight names
 * @param scale   the user's scale: 1 applies the adapter as trained, 0 not at all
 */
public record AppliedAdapter(String name, LoraAdapter adapter, float scale) {

    public AppliedAdapter {
        if (!Float.isFinite(scale)) {
            throw new IllegalArgumentException("adapter " + name + ": scale " + scale + " is not a finite number");
        }
    }

    /** Reads the adapter file or PEFT folder {@code path} for a base shaped as {@code base}. */
    public static AppliedAdapter read(Path path, float scale, DecoderConfig base) throws IOException {
        Path name = path.toAbsolutePath().normalize().getFileName();
        return new AppliedAdapter(name == null ? path.toString() : name.toString(), LoraAdapter.read(path, base), scale);
    }

    /**
     * Parses {@code A[:SCALE]} as the command line gives it: a path, then optionally a colon and a
     * decimal scale (default 1). A colon not followed by a number belongs to the path.
     */
    public static Spec parse(String spec) {
        int colon = spec.lastIndexOf(':');
        if (colon > 0) {
            try {
                return new Spec(Path.of(spec.substring(0, colon)), Float.parseFloat(spec.substring(colon + 1)));
            } catch (NumberFormatException e) {
                // not a scale: the colon is part of the path
            }
        }
        return new Spec(Path.of(spec), 1f);
    }

    /** An adapter named on the command line: where it is and its scale. */
    public record Spec(Path path, float scale) {
        public AppliedAdapter read(DecoderConfig base) throws IOException {
            return AppliedAdapter.read(path, scale, base);
        }
    }
}

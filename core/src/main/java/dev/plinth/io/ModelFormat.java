package dev.plinth.io;

/** The formats {@link ModelFiles} opens, each with the name messages and {@code plinth inspect} show. */
public enum ModelFormat {
    GGUF("GGUF"),
    /** A safetensors file (or sharded index) on its own, without a config.json. */
    SAFETENSORS("safetensors"),
    /** A folder with config.json and safetensors weights. */
    HF_FOLDER("Hugging Face folder"),
    LLAMA2C("llama2.c");

    private final String displayName;

    ModelFormat(String displayName) {
        this.displayName = displayName;
    }

    /** {@code "GGUF"}, {@code "safetensors"}, {@code "Hugging Face folder"} or {@code "llama2.c"}. */
    public String displayName() {
        return displayName;
    }
}

package dev.plinth.tensor;

/** How RoPE pairs the dimensions of a head ({@link Rope} has a rotation for each). */
public enum RopeLayout {
    /** Pairs (2i, 2i+1): llama2.c and GGUF llama/mistral ("normal" mode in llama.cpp). */
    INTERLEAVED,
    /** Pairs (i, i + rotaryDim/2): GGUF qwen2/qwen3 and every Hugging Face checkpoint. */
    NEOX
}

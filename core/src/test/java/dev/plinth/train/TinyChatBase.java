package dev.plinth.train;

import dev.plinth.model.DecoderConfig;
import dev.plinth.model.convert.QuantType;
import dev.plinth.text.BpeTrainer;
import dev.plinth.text.ByteLevelBpeTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny base to fine-tune in tests (here and in the CLI's): a byte-level BPE vocabulary of 300
 * tokens with ChatML's special tokens trained on a few sentences, and a 2-block llama (hidden 32)
 * of random weights, its embedding scaled up so that the frozen tied output can spread the logits;
 * written as a GGUF with the tokenizer and a ChatML template ({@link BaseExport}).
 */
public final class TinyChatBase {
    private TinyChatBase() {
    }

    /** The sentences the vocabulary is trained on. */
    public static final String SENTENCES = "the cat sat on the mat. the dog ran to the park. what is red? a rose is red. "
            + "spam offer win cash now.";

    /** Writes {@code dir/tokenizer.json} and {@code dir/base.gguf}; returns the tokenizer. */
    public static ByteLevelBpeTokenizer write(Path dir) throws IOException {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            docs.add(SENTENCES + " " + i);
        }
        ByteLevelBpeTokenizer tok = new BpeTrainer(300, List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>")).train(docs);
        Path json = dir.resolve("tokenizer.json");
        BpeTrainer.writeTokenizerJson(tok, json);
        DecoderConfig c = DecoderConfig.builder("llama").hiddenSize(32).heads(4).kvHeads(2).ffnSize(64)
                .vocabSize(tok.vocabSize()).layers(2).contextLength(64).build();
        TrainableDecoder init = TrainableDecoder.initialize(c, 3);
        float[] embedding = init.parameters().get("token_embd.weight").data();
        for (int i = 0; i < embedding.length; i++) {
            embedding[i] *= 8;
        }
        BaseExport.writeGguf(init, json, dir.resolve("base.gguf"), QuantType.F32);
        return tok;
    }
}

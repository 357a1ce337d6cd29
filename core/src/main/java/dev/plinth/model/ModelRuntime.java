package dev.plinth.model;

import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.hf.TokenizerConfig;
import dev.plinth.text.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A decoder opened for generation: the model (weights memory-mapped once), its tokenizer, its chat
 * template and its end-of-turn tokens (stop tokens besides EOS, which always stops). Every face of Plinth (the CLI's {@code run} and {@code chat}, the
 * server, the audit) runs a model through this one type.
 *
 * <pre>{@code
 * try (ModelRuntime rt = ModelRuntime.open(Path.of("model.gguf"), null)) {
 *     int[] prompt = rt.tokenizer().encode("Once upon a time", true, false);
 *     GenerationRequest request = GenerationRequest.of(SamplingParams.greedy(), 64).withStopTokens(rt.endOfTurnTokens());
 *     GenerationResult r = new Generator(rt.tokenizer()).generate(rt.newSequence(rt.contextLength(0)), prompt, request);
 * }
 * }</pre>
 *
 * <p><b>Several sequences.</b> {@link DecoderModel} is single-call: one forward pass at a time, and
 * each pass already uses every core. A caller that serves several sequences keeps one
 * {@link DecoderModel.Session} per sequence and either runs them one after another (each through a
 * {@link DecoderSequence}), or, for throughput, gathers the next tokens of all active sequences and
 * feeds them together with {@link DecoderModel#forwardBatch} from one thread (continuous batching):
 * each weight matrix is then read once per step for the whole batch.
 *
 * <p><b>Adapters.</b> LoRA adapters opened with the runtime ({@link #open(Path, Path, List)}) apply to
 * every sequence it makes; a server gives each sequence its own set with {@link
 * #newSequence(int, List)} and {@link #readAdapter}. The base stays mapped once and unmerged.
 */
public final class ModelRuntime implements AutoCloseable {

    /** The default context cap: a model's full context (up to 128k) would need a huge KV cache. */
    public static final int DEFAULT_MAX_CONTEXT = 4096;

    /** End-of-turn markers of common chat templates, stop tokens when the vocabulary has them. */
    private static final String[] END_OF_TURN = {"<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>",
        "<|endoftext|>", "<|end_of_text|>", "</s>"};

    private final DecoderModel model;
    private final TokenizerLoader tokenizer;
    private final String chatTemplate;
    private final Set<Integer> endOfTurn;
    private List<AppliedAdapter> adapters = List.of();

    private ModelRuntime(DecoderModel model, TokenizerLoader tokenizer, String chatTemplate) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.endOfTurn = Collections.unmodifiableSet(endOfTurnTokens(tokenizer.tokenizer()));
    }

    /**
     * Opens {@code path} (a GGUF file, a Hugging Face folder or a llama2.c checkpoint) with its own
     * tokenizer, or the one in {@code tokenizerFile} when that is not null (see {@link TokenizerLoader}).
     */
    public static ModelRuntime open(Path path, Path tokenizerFile) throws IOException {
        TokenizerLoader loader = TokenizerLoader.open(path, tokenizerFile);
        try {
            DecoderModel model = DecoderModel.open(path);
            return new ModelRuntime(model, loader, chatTemplateOf(path));
        } catch (IOException | RuntimeException e) {
            loader.close();
            throw e;
        }
    }

    /**
     * {@link #open(Path, Path)}, then reads {@code adapters} (PEFT folders or LoRA GGUF files, each
     * with its scale) and checks each against the base ({@link DecoderModel#check}): every sequence of
     * {@link #newSequence(int)} applies them.
     */
    public static ModelRuntime open(Path path, Path tokenizerFile, List<AppliedAdapter.Spec> adapters)
            throws IOException {
        ModelRuntime runtime = open(path, tokenizerFile);
        try {
            List<AppliedAdapter> read = new ArrayList<>();
            for (AppliedAdapter.Spec spec : adapters) {
                read.add(runtime.readAdapter(spec));
            }
            runtime.adapters = List.copyOf(read);
            return runtime;
        } catch (IOException | RuntimeException e) {
            runtime.close();
            throw e;
        }
    }

    /** Reads the adapter {@code spec} names for this base and checks that it fits ({@link DecoderModel#check}). */
    public AppliedAdapter readAdapter(AppliedAdapter.Spec spec) throws IOException {
        AppliedAdapter adapter = spec.read(model.config());
        model.check(adapter);
        return adapter;
    }

    /** The adapters every sequence of {@link #newSequence(int)} applies (empty for the base alone). */
    public List<AppliedAdapter> adapters() {
        return adapters;
    }

    private static String chatTemplateOf(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            Path config = path.resolve("tokenizer_config.json");
            return Files.isRegularFile(config) ? TokenizerConfig.read(config).chatTemplate().orElse(null) : null;
        }
        if (startsWithGgufMagic(path)) {
            try (GgufFile gguf = GgufFile.open(path)) {
                return gguf.getString("tokenizer.chat_template", null);
            }
        }
        return null;
    }

    /** By content, not by name: a store blob ({@code blobs/sha256-...}) is a GGUF file without the extension. */
    private static boolean startsWithGgufMagic(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return Arrays.equals(in.readNBytes(4), "GGUF".getBytes(StandardCharsets.US_ASCII));
        }
    }

    public DecoderModel model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer.tokenizer();
    }

    /** Where the tokenizer came from, for logs. */
    public String tokenizerSource() {
        return tokenizer.source();
    }

    /**
     * The chat template's Jinja source (GGUF {@code tokenizer.chat_template}, or {@code chat_template}
     * of a Hugging Face folder's {@code tokenizer_config.json}); empty when the model carries none.
     * Rendering lives in the {@code templates} module ({@code ChatTemplate}).
     */
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    /** The context length for a request of {@code requested} tokens: itself, or for 0 the model's own capped at {@link #DEFAULT_MAX_CONTEXT}. */
    public int contextLength(int requested) {
        if (requested < 0) {
            throw new IllegalArgumentException("the context length must not be negative, got " + requested);
        }
        return requested > 0 ? requested : Math.min(model.config().contextLength(), DEFAULT_MAX_CONTEXT);
    }

    /** A fresh sequence with a KV cache of {@code contextLength} positions (allocated now), applying {@link #adapters()}. */
    public DecoderSequence newSequence(int contextLength) {
        return newSequence(contextLength, adapters);
    }

    /** A fresh sequence that applies {@code adapters} instead of the runtime's own. */
    public DecoderSequence newSequence(int contextLength, List<AppliedAdapter> adapters) {
        return DecoderSequence.of(model, contextLength, adapters);
    }

    /**
     * The ids of the end-of-turn markers ({@code <|im_end|>}, {@code <|eot_id|>}, ...) this vocabulary
     * has as single special tokens, EOS excluded: the stop tokens of a chat reply.
     */
    public Set<Integer> endOfTurnTokens() {
        return endOfTurn;
    }

    /**
     * The ids of a prompt rendered by a chat template: BOS is added unless the template already
     * wrote it as text (many templates start with {@code bos_token}).
     */
    public int[] encodeRendered(String prompt) {
        return encodeRendered(tokenizer(), prompt);
    }

    /** {@link #encodeRendered(String)} with a given tokenizer (fine-tuning tokenizes its conversations so). */
    public static int[] encodeRendered(Tokenizer tok, String prompt) {
        boolean addBos = tok.bosId() < 0 || !prompt.startsWith(tok.piece(tok.bosId()));
        return tok.encode(prompt, addBos, true);
    }

    private static Set<Integer> endOfTurnTokens(Tokenizer tok) {
        Set<Integer> ids = new LinkedHashSet<>();
        for (String marker : END_OF_TURN) {
            int[] enc = tok.encode(marker, false, true);
            if (enc.length == 1 && tok.piece(enc[0]).equals(marker) && enc[0] != tok.eosId()) {
                ids.add(enc[0]);
            }
        }
        return ids;
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }
}

package dev.plinth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.plinth.io.AtomicFiles;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.gguf.GgufWriter;
import dev.plinth.text.BpeTrainer;
import dev.plinth.text.ByteLevelBpeTokenizer;
import dev.plinth.text.ChatMl;
import dev.plinth.train.corpus.CorpusSource;
import dev.plinth.train.corpus.TextNormalizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.function.LongConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code plinth tokenizer train}: a byte-level BPE learnt from files, folders, JSONL and source archives. */
@Command(name = "train",
        description = {"Train a byte-level BPE tokenizer on a corpus; save it as tokenizer.json (and GGUF metadata).",
                "Inputs are read as 'plinth corpus build' reads sources: a .jsonl file by its field, a .zip/.jar by its "
                        + "text and source entries, a folder by each file's extension, any other file as text. Text is "
                        + "normalised (NFC, LF, no control characters) as the corpus pipeline does. The result is a pure "
                        + "function of the input and the settings."})
final class TokenizerTrainCommand implements Callable<Integer> {

    /** Special tokens when none are named: end of text (also the EOS), and ChatML's turn markers. */
    static final List<String> DEFAULT_SPECIALS = List.of("<|endoftext|>", ChatMl.IM_START, ChatMl.IM_END);

    static final String TOKENIZER_CONFIG = "tokenizer_config.json";

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(arity = "1..*", paramLabel = "INPUT", description = "Files or folders of text, .jsonl files, .zip/.jar archives.")
    List<Path> inputs;

    @Option(names = "--vocab-size", required = true, paramLabel = "N",
            description = "Vocabulary size, the 256 byte tokens and the special tokens included.")
    int vocabSize;

    @Option(names = "--special", paramLabel = "TOKEN",
            description = "A special (control) token; repeat for more. The first is the end-of-sequence token. "
                    + "Default: <|endoftext|> <|im_start|> <|im_end|>.")
    List<String> specials;

    @Option(names = "--max-bytes", paramLabel = "N", converter = ByteSize.class,
            description = "Read at most N bytes of text (suffixes K, M, G), shared evenly between the inputs "
                    + "(an input that runs short leaves its share to the next). Default: all.")
    long maxBytes = Long.MAX_VALUE;

    @Option(names = "--pre", paramLabel = "NAME", defaultValue = "gpt-2",
            description = "llama.cpp pre-tokenizer that cuts text before merging: gpt-2 (default), llama-bpe, qwen2, ...")
    String preTokenizer;

    @Option(names = "--jsonl-field", paramLabel = "F", defaultValue = SourceSpec.DEFAULT_JSONL_FIELD,
            description = "Field of .jsonl lines to read (default: text).")
    String jsonlField;

    @Option(names = "--threads", paramLabel = "N", description = "Counting threads (default: all cores).")
    int threads;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE",
            description = "The tokenizer.json to write; tokenizer_config.json (EOS, ChatML template) is written beside it.")
    Path output;

    @Option(names = "--gguf", paramLabel = "FILE",
            description = "Also write the tokenizer as GGUF metadata (tokenizer.ggml.*, no tensors) to FILE.")
    Path gguf;

    TokenizerTrainCommand(Console console) {
        this.console = console;
    }

    /** What a training run read and made. */
    record Result(ByteLevelBpeTokenizer tokenizer, long documents, long bytes) {
    }

    @Override
    public Integer call() throws IOException {
        List<String> tokens = specials == null || specials.isEmpty() ? DEFAULT_SPECIALS : specials;
        Result r = train(console, inputs, vocabSize, tokens, maxBytes, preTokenizer, jsonlField, threads, output, gguf);
        ByteLevelBpeTokenizer t = r.tokenizer();
        console.out().printf(Locale.ROOT, "tokenizer: %s (and %s beside it)%n", output, TOKENIZER_CONFIG);
        if (gguf != null) {
            console.out().printf(Locale.ROOT, "gguf metadata: %s%n", gguf);
        }
        console.out().printf(Locale.ROOT, "vocabulary: %s tokens (256 bytes, %s learnt, %d special), pre-tokenizer %s%n",
                TextFormat.grouped(t.vocabSize()), TextFormat.grouped(t.vocabSize() - 256 - tokens.size()), tokens.size(), preTokenizer);
        StringBuilder ids = new StringBuilder();
        for (int i = 0; i < tokens.size(); i++) {
            ids.append(i == 0 ? "" : ", ").append(tokens.get(i)).append('=').append(t.vocabSize() - tokens.size() + i);
        }
        console.out().printf(Locale.ROOT, "special tokens: %s (eos %d)%n", ids, t.eosId());
        console.out().printf(Locale.ROOT, "trained on: %s documents, %s%n", TextFormat.grouped(r.documents()), TextFormat.bytes(r.bytes()));
        if (t.vocabSize() < vocabSize) {
            console.warn("the corpus ran out of pairs to merge: vocabulary is %d, not %d", t.vocabSize(), vocabSize);
        }
        return Main.OK;
    }

    /**
     * Trains a tokenizer on {@code inputs} and writes {@code output} (tokenizer.json) and, when
     * {@code gguf} is not null, GGUF tokenizer metadata; progress goes to the console's error stream.
     * Callable from other commands (e.g. a quick start).
     */
    static Result train(Console console, List<Path> inputs, int vocabSize, List<String> specials, long maxBytes,
                        String preTokenizer, String jsonlField, int threads, Path output, Path gguf) throws IOException {
        List<SourceSpec> specs = new ArrayList<>();
        List<CorpusSource> sources = new ArrayList<>();
        for (Path input : inputs) {
            SourceSpec spec = SourceSpec.ofPath(input, jsonlField);
            sources.add(spec.source());
            specs.add(spec);
        }
        long estimate = Math.min(maxBytes, specs.stream().mapToLong(SourceSpec::estimatedBytes).sum());
        ProgressMeter meter = new ProgressMeter(console, "tokenizer: reading", estimate, ProgressMeter.Unit.BYTES);
        boolean[] merging = {false};
        BpeTrainer trainer;
        try {
            trainer = new BpeTrainer(vocabSize, preTokenizer, specials, threads, p -> {
                if (p.merges() == 0 && !merging[0]) {
                    return; // reading: the feed reports the bytes it hands over
                }
                if (!merging[0]) {
                    merging[0] = true;
                    meter.phase("tokenizer: merging", p.mergesWanted(), ProgressMeter.Unit.COUNT);
                }
                meter.update(p.merges());
            });
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), e);
        }
        Feed feed = new Feed(sources, maxBytes, bytes -> {
            meter.total(Math.max(estimate, bytes));
            meter.update(bytes);
        });
        ByteLevelBpeTokenizer tokenizer;
        try {
            tokenizer = trainer.train(feed);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            feed.stop();
        }
        meter.finish();
        if (feed.documents == 0) {
            throw new CliException("no text found in " + inputs + " (folders are read for files ending in "
                    + "." + String.join(", .", CorpusSource.Auto.DEFAULT_EXTENSIONS.stream().sorted().toList())
                    + ", .jsonl, .zip, .jar)");
        }
        createParent(output);
        BpeTrainer.writeTokenizerJson(tokenizer, output);
        writeTokenizerConfig(output.toAbsolutePath().resolveSibling(TOKENIZER_CONFIG), specials);
        if (gguf != null) {
            createParent(gguf);
            Map<String, GgufValue> meta = BpeTrainer.ggufMetadata(tokenizer);
            new GgufWriter().put("general.name", GgufValue.of("plinth tokenizer")).putAll(meta).write(gguf);
        }
        return new Result(tokenizer, feed.documents, feed.bytes);
    }

    /**
     * {@code tokenizer_config.json} beside the tokenizer.json, so that loaders (Plinth's and
     * Hugging Face's) know the end-of-sequence token; with ChatML's markers among the special tokens
     * it also carries a ChatML chat template.
     */
    static void writeTokenizerConfig(Path file, List<String> specials) throws IOException {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("bos_token", null);
        config.put("eos_token", specials.isEmpty() ? null : specials.getFirst());
        config.put("add_bos_token", false);
        config.put("add_eos_token", false);
        if (specials.contains(ChatMl.IM_START) && specials.contains(ChatMl.IM_END)) {
            config.put("chat_template", ChatMl.TEMPLATE);
        }
        byte[] json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(config);
        AtomicFiles.write(file, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(json)));
    }

    private static void createParent(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }

    /**
     * The normalised, non-empty documents of the sources in order, read on a background thread
     * into a small queue (the trainer pulls them), within the byte budget.
     */
    private static final class Feed implements Iterable<String> {
        private static final Object END = new Object();

        private final List<CorpusSource> sources;
        private final long maxBytes;
        private final LongConsumer progress;
        private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(256);
        private volatile boolean stopped;
        private Thread reader;
        long documents;
        long bytes;

        Feed(List<CorpusSource> sources, long maxBytes, LongConsumer progress) {
            this.sources = sources;
            this.maxBytes = maxBytes;
            this.progress = progress;
        }

        @Override
        public Iterator<String> iterator() {
            if (reader != null) {
                throw new IllegalStateException("read once");
            }
            reader = Thread.ofPlatform().name("tokenizer-reader").daemon().start(this::read);
            return new Iterator<>() {
                Object next;

                @Override
                public boolean hasNext() {
                    if (next == null) {
                        try {
                            next = queue.take();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException("interrupted while reading the corpus", e);
                        }
                    }
                    return switch (next) {
                        case IOException e -> throw new UncheckedIOException(e);
                        case RuntimeException e -> throw e;
                        case Error e -> throw e;
                        default -> next != END;
                    };
                }

                @Override
                public String next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    String s = (String) next;
                    next = null;
                    return s;
                }
            };
        }

        private void read() {
            Object last = END;
            try {
                long used = 0;
                for (int i = 0; i < sources.size() && !stopped; i++) {
                    long budget = maxBytes == Long.MAX_VALUE ? Long.MAX_VALUE : (maxBytes - used) / (sources.size() - i);
                    used += readSource(sources.get(i), budget);
                }
            } catch (Budget ignored) {
                // stopped by the consumer
            } catch (IOException | RuntimeException | Error e) {
                last = e;
            }
            try {
                queue.put(last);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Reads one source until it ends or its budget is spent; returns the bytes taken. */
        private long readSource(CorpusSource source, long budget) throws IOException {
            long[] taken = {0};
            try {
                source.forEach(doc -> {
                    if (stopped) {
                        throw new Budget();
                    }
                    String text = TextNormalizer.normalize(doc.text());
                    if (text.isEmpty()) {
                        return;
                    }
                    long n = text.getBytes(StandardCharsets.UTF_8).length;
                    if (taken[0] + n > budget) {
                        throw new Budget();
                    }
                    taken[0] += n;
                    bytes += n;
                    documents++;
                    progress.accept(bytes);
                    try {
                        queue.put(text);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new Budget();
                    }
                });
            } catch (Budget spent) {
                if (stopped) {
                    throw spent;
                }
            }
            return taken[0];
        }

        void stop() {
            stopped = true;
            queue.clear();
            if (reader != null) {
                reader.interrupt();
            }
        }
    }

    /** Thrown inside a source's iteration to end it: the byte budget is spent or the consumer stopped. */
    private static final class Budget extends RuntimeException {
        Budget() {
            super(null, null, false, false);
        }
    }

    /** {@code 1234}, {@code 64K}, {@code 10M}, {@code 2G} (powers of 1024). */
    static final class ByteSize implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            String v = value.strip().toUpperCase(Locale.ROOT);
            long unit = 1;
            if (v.endsWith("B")) {
                v = v.substring(0, v.length() - 1);
            }
            if (v.endsWith("K") || v.endsWith("M") || v.endsWith("G")) {
                unit = switch (v.charAt(v.length() - 1)) {
                    case 'K' -> 1L << 10;
                    case 'M' -> 1L << 20;
                    default -> 1L << 30;
                };
                v = v.substring(0, v.length() - 1);
            }
            double n;
            try {
                n = Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a size (e.g. 64M, 1G, 500000)");
            }
            if (!(n > 0) || n * unit > Long.MAX_VALUE) {
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a positive size");
            }
            return (long) (n * unit);
        }
    }
}

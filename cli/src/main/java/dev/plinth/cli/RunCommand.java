package dev.plinth.cli;

import dev.plinth.knowledge.Grounding;
import dev.plinth.knowledge.ProductKnowledge;
import dev.plinth.model.DecoderSequence;
import dev.plinth.model.GenerationRequest;
import dev.plinth.model.GenerationResult;
import dev.plinth.model.Generator;
import dev.plinth.model.ModelRuntime;
import dev.plinth.product.Product;
import dev.plinth.product.Profile;
import dev.plinth.text.ChatMessage;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.template.ProductPrompt;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth run}: complete a prompt with a model, streaming the text to standard output. */
@Command(name = "run",
        description = {"Complete a prompt with a model; the generated text streams to standard output.",
                "Without PROMPT, reads the prompt from standard input. Timings go to standard error.",
                "A product (NAME[:TAG] of the store) runs with its parameters as defaults, and with a profile its",
                "prompt is rendered as a user turn after its system prompt and few-shot turns, through its template.",
                "A product with knowledge retrieves passages for the prompt and puts them into it, numbered for citing."})
final class RunCommand implements Callable<Integer> {

    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "MODEL",
            description = "A GGUF file, a Hugging Face folder, a llama2.c checkpoint (with --tokenizer), or a product NAME[:TAG].")
    String model;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PROMPT",
            description = "The text to complete; standard input when absent.")
    String prompt;

    @Option(names = "--echo", description = "Print the prompt before the generated text.")
    boolean echo;

    @Option(names = "--input", paramLabel = "FILE",
            description = "A JSONL file of prompts ({\"prompt\": ..., \"id\": ...}): each completed on its own, written to --output.")
    Path input;

    @Option(names = "--output", paramLabel = "FILE",
            description = "With --input: one JSONL line per prompt, in order: {\"id\", \"completion\", \"finish\", \"tokens\"}.")
    Path output;

    @Mixin
    SamplingOptions options;

    @Mixin
    AdapterOptions adapters;

    @Mixin
    KnowledgeOptions knowledgeOptions;

    RunCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        if (input != null) {
            return completeFile();
        }
        if (output != null) {
            throw new ParameterException(spec.commandLine(), "--output goes with --input (a JSONL file of prompts)");
        }
        String text = prompt != null ? prompt : readStandardInput(console);
        try (Completer completer = openCompleter()) {
            if (echo) {
                console.out().print(text);
                console.out().flush();
            }
            Completion completion = completer.complete(text, piece -> {
                console.out().print(piece);
                console.out().flush();
            });
            GenerationResult result = completion.result();
            String shown = echo ? text + result.text() : result.text();
            if (!shown.endsWith("\n")) {
                console.out().println();
            }
            console.out().flush();
            knowledgeOptions.print(console.out(), completer.knowledge, completion.grounded());
            reportTimings(console, result);
        }
        return Main.OK;
    }

    /**
     * {@code --input} prompts to {@code --output} completions, where the console's {@link ScaleOut} says:
     * every prompt with the same options and seed (drawn once here when none is given) in a sequence of its own.
     */
    private Integer completeFile() throws IOException {
        if (prompt != null || output == null || echo) {
            throw new ParameterException(spec.commandLine(), "--input takes --output, and neither PROMPT nor --echo");
        }
        List<RunWork.Prompt> prompts = RunWork.readPrompts(input);
        List<String> args = new ArrayList<>(console.arguments());
        if (options.seed == null) {
            args.addAll(List.of("--seed", Long.toString(options.resolvedSeed())));
        }
        RunWork work = new RunWork(args, console.environment());
        long start = System.nanoTime();
        List<RunWork.Completion> completions = console.scaleOut().complete(work, prompts);
        RunWork.writeCompletions(output, prompts, completions);
        long tokens = completions.stream().mapToLong(RunWork.Completion::tokens).sum();
        double seconds = (System.nanoTime() - start) / 1e9;
        console.info("%d prompts, %,d tokens generated in %.1f s (%.1f tok/s); written to %s", prompts.size(), tokens, seconds,
                tokens / Math.max(1e-9, seconds), output);
        return Main.OK;
    }

    /** Opens the model, profile and knowledge these options name: what every prompt of the run shares. */
    Completer openCompleter() throws IOException {
        Product product = Products.productOrFile(console, model);
        Profile profile = options.adopt(product, spec);
        long start = System.nanoTime();
        ModelRuntime runtime = options.open(product, model, adapters.specs());
        try {
            ProductKnowledge knowledge = knowledgeOptions.open(console, spec, product);
            console.debug("tokenizer: %s", runtime.tokenizerSource());
            AdapterOptions.report(console, runtime);
            console.debug("model loaded in %.1f ms", (System.nanoTime() - start) / 1e6);
            return new Completer(runtime, knowledge, profile);
        } catch (IOException | RuntimeException e) {
            runtime.close();
            throw e;
        }
    }

    /** A prompt's generation and the passages it was grounded in. */
    record Completion(GenerationResult result, Grounding.Grounded grounded) {
    }

    /** The model and everything a prompt needs, opened once: completes prompts one after another, each in a fresh sequence. */
    final class Completer implements AutoCloseable {
        private final ModelRuntime runtime;
        private final ProductKnowledge knowledge;
        private final ProductPrompt rendered;
        private final GenerationRequest request;
        private final int context;

        private Completer(ModelRuntime runtime, ProductKnowledge knowledge, Profile profile) throws IOException {
            this.runtime = runtime;
            this.knowledge = knowledge;
            context = Usage.check(spec, () -> runtime.contextLength(options.context));
            // a product with a profile or knowledge renders its prompt through its template, as Ollama does
            rendered = profile.shapesPrompts() || knowledge != null ? ProductPrompt.of(profile, runtime) : null;
            Set<Integer> stopTokens = rendered != null ? runtime.endOfTurnTokens() : Set.of();
            List<String> extraStops = rendered != null && rendered.template().isFallback() ? List.of("<|im_end|>") : List.of();
            request = Usage.check(spec, () -> options.request(context, stopTokens, extraStops));
            console.debug("seed %d, context %d", request.sampling().seed(), context);
        }

        Completion complete(String text, Consumer<String> pieces) throws IOException {
            Tokenizer tokenizer = runtime.tokenizer();
            Grounding.Grounded grounded = KnowledgeOptions.ground(knowledge, List.of(ChatMessage.user(text)));
            int[] ids = rendered != null ? runtime.encodeRendered(rendered.render(grounded.conversation()))
                    : tokenizer.encode(text, true, false);
            DecoderSequence sequence = Usage.check(spec, () -> runtime.newSequence(context));
            return new Completion(new Generator(tokenizer).generate(sequence, ids, request, pieces::accept), grounded);
        }

        @Override
        public void close() throws IOException {
            try (ModelRuntime r = runtime) {
                if (knowledge != null) {
                    knowledge.close();
                }
            }
        }
    }

    static void reportTimings(Console console, GenerationResult r) {
        console.info("prefill %d tokens in %.1f ms (%.1f tok/s); decode %d tokens in %.1f ms (%.1f tok/s); finish: %s",
                r.promptTokens(), r.prefillNanos() / 1e6, r.prefillTokensPerSecond(),
                r.tokens().length, r.decodeNanos() / 1e6, r.decodeTokensPerSecond(), r.finish().label());
    }

    static String readStandardInput(Console console) throws IOException {
        byte[] bytes = console.in().readAllBytes();
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CliException("standard input is not valid UTF-8 text", e);
        }
    }
}

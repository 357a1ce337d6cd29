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
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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
        String text = prompt != null ? prompt : readStandardInput(console);
        Product product = Products.productOrFile(console, model);
        Profile profile = options.adopt(product, spec);
        long start = System.nanoTime();
        try (ModelRuntime runtime = options.open(product, model, adapters.specs());
             ProductKnowledge knowledge = knowledgeOptions.open(console, spec, product)) {
            console.debug("tokenizer: %s", runtime.tokenizerSource());
            AdapterOptions.report(console, runtime);
            console.debug("model loaded in %.1f ms", (System.nanoTime() - start) / 1e6);
            Tokenizer tokenizer = runtime.tokenizer();
            int context = Usage.check(spec, () -> runtime.contextLength(options.context));
            // a product with a profile or knowledge renders its prompt through its template, as Ollama does
            ProductPrompt rendered = profile.shapesPrompts() || knowledge != null ? ProductPrompt.of(profile, runtime) : null;
            Set<Integer> stopTokens = rendered != null ? runtime.endOfTurnTokens() : Set.of();
            List<String> extraStops = rendered != null && rendered.template().isFallback() ? List.of("<|im_end|>") : List.of();
            GenerationRequest request = Usage.check(spec, () -> options.request(context, stopTokens, extraStops));
            console.debug("seed %d, context %d", request.sampling().seed(), context);
            Grounding.Grounded grounded = KnowledgeOptions.ground(knowledge, List.of(ChatMessage.user(text)));
            int[] ids = rendered != null ? runtime.encodeRendered(rendered.render(grounded.conversation()))
                    : tokenizer.encode(text, true, false);
            DecoderSequence sequence = Usage.check(spec, () -> runtime.newSequence(context));
            if (echo) {
                console.out().print(text);
                console.out().flush();
            }
            GenerationResult result = new Generator(tokenizer).generate(sequence, ids, request, piece -> {
                console.out().print(piece);
                console.out().flush();
            });
            String shown = echo ? text + result.text() : result.text();
            if (!shown.endsWith("\n")) {
                console.out().println();
            }
            console.out().flush();
            knowledgeOptions.print(console.out(), knowledge, grounded);
            reportTimings(console, result);
        }
        return Main.OK;
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

package dev.plinth.cli;

import dev.plinth.knowledge.Grounding;
import dev.plinth.knowledge.ProductKnowledge;
import dev.plinth.model.ContextOverflowException;
import dev.plinth.model.GenerationRequest;
import dev.plinth.model.GenerationResult;
import dev.plinth.model.Generator;
import dev.plinth.model.ModelRuntime;
import dev.plinth.product.Product;
import dev.plinth.product.Profile;
import dev.plinth.text.ChatMessage;
import dev.plinth.text.template.ProductPrompt;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code plinth chat}: a conversation with a model, one user message per line of standard input,
 * rendered with the model's chat template. Works the same typed at a terminal or piped from a
 * script: replies go to standard output (one per message, ended by a newline), the prompt marker
 * and timings to standard error.
 */
@Command(name = "chat",
        description = {"Chat with a model: each line of standard input is a user message; replies go to standard output.",
                "Commands: /system TEXT (set the system message and start over), /reset (forget the conversation), /exit.",
                "Uses the model's chat template; a model without one gets ChatML, with a note on standard error.",
                "A product (NAME[:TAG] of the store) starts from its system prompt and few-shot turns, with its template",
                "(else its base's) and its parameters as defaults."})
final class ChatCommand implements Callable<Integer> {

    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "MODEL",
            description = "A GGUF file, a Hugging Face folder, a llama2.c checkpoint (with --tokenizer), or a product NAME[:TAG].")
    String model;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system message to start with (replaces a product's).")
    String system;

    @Mixin
    SamplingOptions options;

    @Mixin
    AdapterOptions adapters;

    @Mixin
    KnowledgeOptions knowledgeOptions;

    ChatCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        Product product = Products.productOrFile(console, model);
        Profile profile = options.adopt(product, spec);
        try (ModelRuntime runtime = options.open(product, model, adapters.specs());
             ProductKnowledge knowledge = knowledgeOptions.open(console, spec, product)) {
            console.debug("tokenizer: %s", runtime.tokenizerSource());
            AdapterOptions.report(console, runtime);
            ProductPrompt prompt = ProductPrompt.of(profile, runtime);
            List<String> extraStops = new ArrayList<>();
            if (prompt.template().isFallback()) {
                console.warn("%s has no chat template; using ChatML, which this model may not have been trained on", model);
                extraStops.add("<|im_end|>");
            }
            int context = Usage.check(spec, () -> runtime.contextLength(options.context));
            GenerationRequest request = Usage.check(spec, () -> options.request(context, runtime.endOfTurnTokens(), extraStops));
            console.debug("seed %d, context %d", request.sampling().seed(), context);
            Usage.check(spec, () -> runtime.newSequence(context)); // a context too large for memory is a usage error, before any input
            converse(runtime, prompt, request, context, knowledge);
        }
        return Main.OK;
    }

    /** Each line a user turn; the prompt is the profile (system prompt, few-shot turns) and the history, rendered. */
    private void converse(ModelRuntime runtime, ProductPrompt prompt, GenerationRequest request, int context,
                          ProductKnowledge knowledge) throws IOException {
        Generator generator = new Generator(runtime.tokenizer());
        List<ChatMessage> history = new ArrayList<>();
        if (system != null) {
            history.add(ChatMessage.system(system));
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(console.in(), StandardCharsets.UTF_8));
        long seed = request.sampling().seed();
        String line;
        while (true) {
            console.prompt("> ");
            line = in.readLine();
            if (line == null || line.strip().equals("/exit")) {
                break;
            }
            String input = line.strip();
            if (input.isEmpty()) {
                continue;
            }
            if (input.equals("/reset")) {
                history.removeIf(m -> !m.role().equals("system"));
                console.info("conversation reset");
                continue;
            }
            if (input.equals("/system") || input.startsWith("/system ")) {
                history.clear();
                String text = input.substring("/system".length()).strip();
                if (!text.isEmpty()) {
                    history.add(ChatMessage.system(text));
                }
                console.info("system message set; conversation reset");
                continue;
            }
            history.add(ChatMessage.user(line));
            Grounding.Grounded grounded = KnowledgeOptions.ground(knowledge, history);
            int[] ids = runtime.encodeRendered(prompt.render(grounded.conversation()));
            GenerationRequest turn = new GenerationRequest(request.sampling().withSeed(seed++), request.maxTokens(),
                    request.stopTokens(), request.stopStrings(), -1, false);
            GenerationResult result;
            try {
                result = generator.generate(runtime.newSequence(context), ids, turn, piece -> {
                    console.out().print(piece);
                    console.out().flush();
                });
            } catch (ContextOverflowException e) {
                history.removeLast();
                console.error("the conversation (" + e.promptTokens() + " tokens) no longer fits the context of "
                        + e.contextLength() + "; /reset, or start with a larger --ctx");
                continue;
            }
            console.out().println();
            console.out().flush();
            history.add(ChatMessage.assistant(result.text().strip()));
            knowledgeOptions.print(console.out(), knowledge, grounded);
            RunCommand.reportTimings(console, result);
        }
    }
}

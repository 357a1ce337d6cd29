package dev.plinth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.model.ModelRuntime;
import dev.plinth.model.TokenLogProbs;
import dev.plinth.product.Parameters;
import dev.plinth.text.Tokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * {@code POST /v1/completions}: raw text after a prompt (a string, strings, token ids or lists of
 * them), with {@code echo} and {@code logprobs} scoring the prompt's own tokens, which is how
 * lm-evaluation-harness's {@code local-completions} model scores multiple-choice answers.
 */
record Completions(Catalog catalog, ServerConfig config, Metrics metrics) {

    /** OpenAI's default {@code max_tokens} for completions. */
    private static final int DEFAULT_MAX_TOKENS = 16;
    private static final int MAX_PROMPTS = 256;

    void handle(Call call, Access access) throws IOException, InterruptedException {
        Fields f = new Fields(Json.parseObject(call.body()));
        ServedModel model = Models.decoder(catalog, access, f);
        ModelRuntime runtime = model.base().runtime();
        Tokenizer tokenizer = runtime.tokenizer();
        Parameters params = model.profile().parameters();
        if (f.has("suffix")) {
            throw ApiException.invalid("suffix", "'suffix' is not supported by this server.");
        }
        List<int[]> prompts = prompts(f, tokenizer, runtime.model().vocabSize());
        boolean echo = f.bool("echo").orElse(false);
        int logprobs = f.has("logprobs") ? f.integer("logprobs", 0, 20).orElseThrow() : -1;
        Integer requested = f.integer("max_tokens", echo ? 0 : 1, config.maxTokens()).orElse(null);
        int context = Generation.contextLength(model, config);
        int maxTokens = Integer.MAX_VALUE;
        int promptTotal = 0;
        for (int[] p : prompts) {
            maxTokens = Math.min(maxTokens, Generation.maxTokens(requested, "max_tokens", params, DEFAULT_MAX_TOKENS,
                    p.length, context, "prompt"));
            promptTotal += p.length;
        }
        int n = f.integer("n", 1, config.maxChoices()).orElse(1);
        f.integer("best_of", n, n);
        GenerationSettings settings = new GenerationSettings(Generation.sampling(f, params), maxTokens,
                Generation.stops(f, params), logprobs, echo ? logprobs : -1, Generation.logitBias(f, runtime.model().vocabSize()),
                f.bool("ignore_eos").orElse(false), null);
        boolean stream = f.bool("stream").orElse(false);
        boolean includeUsage = f.object("stream_options").flatMap(o -> o.bool("include_usage")).orElse(false);
        Reply reply = new Reply("cmpl-" + UUID.randomUUID().toString().replace("-", ""), model.id(), tokenizer, prompts, n,
                echo, f.get("prompt").isTextual() ? f.get("prompt").textValue() : null);
        try (Run run = Generation.start(model, prompts, n, settings, Set.of())) {
            if (stream) {
                call.startEvents();
                reply.stream(call, run, includeUsage, promptTotal);
            } else {
                Events.pump(call, run, false, reply::collect);
                call.json(200, reply.completion(promptTotal, run.generatedTokens()));
            }
            metrics.tokens(promptTotal, run.generatedTokens());
        }
    }

    /** The prompts: a string, an array of strings, an array of token ids, or an array of such arrays. */
    static List<int[]> prompts(Fields f, Tokenizer tokenizer, int vocabSize) {
        JsonNode prompt = f.get("prompt");
        if (prompt == null) {
            throw ApiException.invalid("prompt", "'prompt' is required.");
        }
        List<int[]> out = new ArrayList<>();
        if (Generation.isTokenArray(prompt)) {
            out.add(Generation.tokenIds(prompt, "prompt", vocabSize));
        } else {
            List<JsonNode> items = Generation.items(prompt);
            if (items.isEmpty() || items.size() > MAX_PROMPTS) {
                throw ApiException.invalid("prompt", "'prompt' must hold 1 to " + MAX_PROMPTS + " prompts.");
            }
            for (JsonNode item : items) {
                if (item.isTextual()) {
                    out.add(tokenizer.encode(item.textValue(), true, true));
                } else if (Generation.isTokenArray(item)) {
                    out.add(Generation.tokenIds(item, "prompt", vocabSize));
                } else {
                    throw ApiException.invalid("prompt", "'prompt' must be a string, an array of strings, an array of token "
                            + "ids or an array of such arrays.");
                }
            }
        }
        for (int[] ids : out) {
            if (ids.length == 0) {
                throw ApiException.invalid("prompt", "A prompt has no tokens.");
            }
        }
        return out;
    }

    /** The choices as they come in, each prompt's {@code n} choices in order. */
    private static final class Reply {
        private final String id;
        private final long created = System.currentTimeMillis() / 1000;
        private final String model;
        private final Tokenizer tokenizer;
        private final int n;
        private final boolean echo;
        private final String promptText;
        private final List<int[]> prompts;
        private final StringBuilder[] texts;
        private final Logprobs.Completion[] logprobs;
        private final String[] finish;
        private Call call;
        private boolean includeUsage;

        Reply(String id, String model, Tokenizer tokenizer, List<int[]> prompts, int n, boolean echo, String promptText) {
            this.id = id;
            this.model = model;
            this.tokenizer = tokenizer;
            this.n = n;
            this.echo = echo;
            this.promptText = promptText;
            this.prompts = prompts;
            int choices = prompts.size() * n;
            texts = new StringBuilder[choices];
            logprobs = new Logprobs.Completion[choices];
            finish = new String[choices];
            for (int i = 0; i < choices; i++) {
                texts[i] = new StringBuilder(echo ? echoText(i) : "");
            }
        }

        /** The prompt as echoed: the string given, else its tokens decoded. */
        private String echoText(int choice) {
            int[] prompt = prompts.get(choice / n);
            return promptText != null ? promptText : tokenizer.decode(prompt);
        }

        private Logprobs.Completion logprobsOf(int choice) {
            if (logprobs[choice] == null) {
                logprobs[choice] = new Logprobs.Completion(tokenizer, 0);
            }
            return logprobs[choice];
        }

        void collect(Run.Event event) {
            switch (event) {
                case Run.PromptScored p -> scorePrompt(p);
                case Run.Token t -> {
                    texts[t.choice()].append(t.text());
                    if (t.logprobs() != null) {
                        logprobsOf(t.choice()).add(t.logprobs());
                    }
                }
                case Run.Finished f -> {
                    texts[f.choice()].append(f.tail());
                    finish[f.choice()] = f.reason().label();
                }
                case Run.Failed f -> throw f.error();
            }
        }

        private void scorePrompt(Run.PromptScored p) {
            int[] prompt = prompts.get(p.choice() / n);
            Logprobs.Completion lp = logprobsOf(p.choice());
            for (int i = 0; i < prompt.length; i++) {
                TokenLogProbs scored = p.logprobs().get(i);
                if (scored == null) {
                    lp.unscored(prompt[i]);
                } else {
                    lp.add(scored);
                }
            }
        }

        ObjectNode completion(int promptTokens, int completionTokens) {
            ObjectNode body = head();
            ArrayNode choices = body.putArray("choices");
            for (int i = 0; i < texts.length; i++) {
                choices.add(choice(i, texts[i].toString(), logprobs[i] == null ? null : logprobs[i].json(), finish[i]));
            }
            body.set("usage", ChatCompletions.usage(promptTokens, completionTokens));
            return body;
        }

        void stream(Call streamCall, Run run, boolean usage, int promptTokens) throws IOException, InterruptedException {
            this.call = streamCall;
            this.includeUsage = usage;
            if (echo) {
                for (int i = 0; i < texts.length; i++) {
                    call.event(chunk(i, texts[i].toString(), null, null));
                }
            }
            Events.pump(call, run, true, this::streamEvent);
            if (includeUsage) {
                ObjectNode last = head();
                last.putArray("choices");
                last.set("usage", ChatCompletions.usage(promptTokens, run.generatedTokens()));
                call.event(last);
            }
            call.eventDone();
        }

        private void streamEvent(Run.Event event) throws IOException {
            switch (event) {
                case Run.PromptScored p -> {
                    scorePrompt(p);
                }
                case Run.Token t -> {
                    ObjectNode lp = null;
                    if (t.logprobs() != null) {
                        Logprobs.Completion one = new Logprobs.Completion(tokenizer, 0);
                        one.add(t.logprobs());
                        lp = one.json();
                    }
                    if (!t.text().isEmpty() || lp != null) {
                        call.event(chunk(t.choice(), t.text(), lp, null));
                    }
                }
                case Run.Finished f -> call.event(chunk(f.choice(), f.tail(), null, f.reason().label()));
                case Run.Failed f -> call.event(Call.errorBody(f.error()));
            }
        }

        private ObjectNode chunk(int index, String text, ObjectNode lp, String finishReason) {
            ObjectNode body = head();
            body.putArray("choices").add(choice(index, text, lp, finishReason));
            if (includeUsage) {
                body.putNull("usage");
            }
            return body;
        }

        private static ObjectNode choice(int index, String text, ObjectNode lp, String finishReason) {
            ObjectNode choice = Json.object();
            choice.put("text", text);
            choice.put("index", index);
            choice.set("logprobs", lp);
            choice.put("finish_reason", finishReason);
            return choice;
        }

        private ObjectNode head() {
            ObjectNode body = Json.object();
            body.put("id", id);
            body.put("object", "text_completion");
            body.put("created", created);
            body.put("model", model);
            body.put("system_fingerprint", "plinth");
            return body;
        }
    }
}

package dev.plinth.train.data;

import dev.plinth.model.ModelRuntime;
import dev.plinth.text.ChatMessage;
import dev.plinth.text.Tokenizer;
import dev.plinth.train.Trainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Turns rows into {@link Example}s of at most {@code context} input tokens:
 * <ul>
 *   <li>chat: the conversation rendered with the template and tokenized as {@code plinth chat}
 *       tokenizes a rendered prompt ({@link ModelRuntime#encodeRendered}); the loss covers each learned
 *       assistant turn, from the end of the text rendered before it (with the generation prompt) to the
 *       end of the text rendered through it (its end-of-turn marker included), located as the longest
 *       common token prefixes of those renderings with the whole;
 *   <li>prompt/completion: BOS, prompt and completion tokenized together, then EOS; the loss covers
 *       the tokens after the prompt's own tokenization, and the EOS; as chat, a user and an assistant
 *       turn;
 *   <li>text: BOS, the document, EOS, cut into windows of {@code context + 1} tokens, every token
 *       predicted once;
 *   <li>classification: BOS and the text, cut to {@code context} tokens; the label's index is the
 *       target of the last token.
 * </ul>
 * Sequences longer than the context are cut at its end; one left with nothing to learn is dropped.
 */
final class ExampleEncoder {
    private final Tokenizer tokenizer;
    private final ChatRenderer renderer;
    private final DataFormat.Task task;
    private final int context;
    private final Map<String, Integer> labels;

    ExampleEncoder(Tokenizer tokenizer, ChatRenderer renderer, DataFormat.Task task, int context,
                   Map<String, Integer> labels) {
        this.tokenizer = tokenizer;
        this.renderer = renderer;
        this.task = task;
        this.context = context;
        this.labels = labels;
    }

    /** The examples of one row (several for a long document, none when nothing is left to learn). */
    List<Example> encode(DataReader.Row row) throws MalformedDataException {
        return switch (row) {
            case DataReader.Row.Chat c -> single(chat(c, c.messages(), c.learned()));
            case DataReader.Row.PromptCompletion p -> single(task == DataFormat.Task.CHAT
                    ? chat(p, List.of(ChatMessage.user(p.prompt()), ChatMessage.assistant(p.completion())),
                            new boolean[] {false, true})
                    : completion(p));
            case DataReader.Row.Text t -> document(t.text());
            case DataReader.Row.Labelled l -> List.of(labelled(l));
        };
    }

    private static List<Example> single(Example e) {
        return e == null ? List.of() : List.of(e);
    }

    /** Token ids with the loss mask of a whole sequence, cut to {@code context + 1} ids as an example. */
    private Example causal(int[] ids, boolean[] learned) {
        int n = Math.min(ids.length, context + 1);
        if (n < 2) {
            return null;
        }
        int[] inputs = Arrays.copyOf(ids, n - 1);
        int[] targets = new int[n - 1];
        boolean any = false;
        for (int t = 0; t < n - 1; t++) {
            targets[t] = learned[t + 1] ? ids[t + 1] : Trainer.IGNORE;
            any |= learned[t + 1];
        }
        return any ? new Example(inputs, targets) : null;
    }

    private Example chat(DataReader.Row row, List<ChatMessage> messages, boolean[] learnedTurns)
            throws MalformedDataException {
        int[] all = encodeRendered(row, messages, messages.size(), false);
        boolean[] learned = new boolean[all.length];
        for (int i = 0; i < messages.size(); i++) {
            if (learnedTurns[i]) {
                int start = commonPrefix(encodeRendered(row, messages, i, true), all);
                int end = commonPrefix(encodeRendered(row, messages, i + 1, false), all);
                Arrays.fill(learned, start, Math.max(start, end), true);
            }
        }
        return causal(all, learned);
    }

    private int[] encodeRendered(DataReader.Row row, List<ChatMessage> messages, int count, boolean generationPrompt)
            throws MalformedDataException {
        String text;
        try {
            text = renderer.render(messages.subList(0, count), generationPrompt);
        } catch (RuntimeException e) {
            throw new MalformedDataException(row.file(), row.line(), "the chat template cannot render this conversation: "
                    + e.getMessage());
        }
        return ModelRuntime.encodeRendered(tokenizer, text);
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }

    private Example completion(DataReader.Row.PromptCompletion p) {
        int[] prompt = tokenizer.encode(p.prompt(), true, false);
        int[] whole = tokenizer.encode(p.prompt() + p.completion(), true, false);
        int eos = tokenizer.eosId();
        int[] ids = eos >= 0 ? Arrays.copyOf(whole, whole.length + 1) : whole;
        if (eos >= 0) {
            ids[whole.length] = eos;
        }
        boolean[] learned = new boolean[ids.length];
        Arrays.fill(learned, commonPrefix(prompt, whole), ids.length, true);
        return causal(ids, learned);
    }

    private List<Example> document(String text) {
        int[] tokens = tokenizer.encode(text, true, false);
        int eos = tokenizer.eosId();
        int[] ids = eos >= 0 ? Arrays.copyOf(tokens, tokens.length + 1) : tokens;
        if (eos >= 0) {
            ids[tokens.length] = eos;
        }
        List<Example> windows = new ArrayList<>();
        for (int start = 0; start + 1 < ids.length; start += context) {
            int[] window = Arrays.copyOfRange(ids, start, Math.min(ids.length, start + context + 1));
            boolean[] learned = new boolean[window.length];
            Arrays.fill(learned, 1, window.length, true);
            Example e = causal(window, learned);
            if (e != null) {
                windows.add(e);
            }
        }
        return windows;
    }

    private Example labelled(DataReader.Row.Labelled l) {
        int[] ids = tokenizer.encode(l.text(), true, false);
        int[] inputs = Arrays.copyOf(ids, Math.min(ids.length, context));
        int[] targets = new int[inputs.length];
        Arrays.fill(targets, Trainer.IGNORE);
        targets[inputs.length - 1] = labels.get(l.label());
        return new Example(inputs, targets);
    }
}

package dev.plinth.knowledge;

import dev.plinth.text.ChatMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Retrieval for a product with knowledge, in one place for every face (the CLI's run and chat, the
 * server): the last user turn of a conversation is searched (hybrid, {@value #DEFAULT_K} chunks),
 * and replaced by a prompt that numbers the passages and asks for answers citing them as
 * {@code [1]}, {@code [2]}; the citations map those numbers back to document, source path and lines.
 * Earlier turns stay as they were typed.
 *
 * <p>The prompt comes from a template with two placeholders, {@code {{sources}}} (the numbered
 * passages, each headed {@code [n] document id, lines a-b}) and {@code {{question}}} (the user's
 * turn); {@link #DEFAULT_TEMPLATE} unless another is given.
 */
public final class Grounding {
    /** Passages retrieved per user turn. */
    public static final int DEFAULT_K = 4;
    public static final String SOURCES = "{{sources}}";
    public static final String QUESTION = "{{question}}";
    /** The default prompt around the passages. */
    public static final String DEFAULT_TEMPLATE = """
            Answer the question using only the numbered sources below. Cite the sources each statement \
            comes from by their numbers in square brackets, like [1] or [2][3]. If the sources do not \
            answer the question, say that they do not.

            Sources:

            {{sources}}

            Question: {{question}}""";
    private static final Pattern MARKER = Pattern.compile("\\[(\\d{1,3})]");

    /** A numbered passage: what {@code [number]} in an answer refers to. */
    public record Citation(int number, Hit hit) {
        /** {@code [n] path:lines} (or page and lines for a PDF). */
        public String line() {
            return "[" + number + "] " + hit.location();
        }
    }

    /** The conversation with its last user turn grounded, and the passages it cites. */
    public record Grounded(List<ChatMessage> conversation, List<Citation> citations) {
    }

    private final KnowledgeBase knowledge;
    private final KnowledgeEmbedder embedder;
    private final String template;
    private final int k;
    private final SearchMode mode;

    /**
     * @param template the prompt template (null: {@link #DEFAULT_TEMPLATE}); it must hold both placeholders
     * @throws EmbedderMismatchException when the embedder is not the knowledge base's
     */
    public Grounding(KnowledgeBase knowledge, KnowledgeEmbedder embedder, String template, int k, SearchMode mode) {
        String t = template != null ? template : DEFAULT_TEMPLATE;
        if (!t.contains(SOURCES) || !t.contains(QUESTION)) {
            throw new IllegalArgumentException("a knowledge prompt template needs both " + SOURCES + " and " + QUESTION);
        }
        if (k < 1) {
            throw new IllegalArgumentException("the number of passages must be at least 1, not " + k);
        }
        knowledge.requireEmbedder(embedder);
        this.knowledge = knowledge;
        this.embedder = embedder;
        this.template = t;
        this.k = k;
        this.mode = mode;
    }

    /** Grounds the last user turn of {@code conversation} (returned as it is when it has none). */
    public Grounded ground(List<ChatMessage> conversation) throws IOException {
        int last = conversation.size() - 1;
        while (last >= 0 && !conversation.get(last).role().equals("user")) {
            last--;
        }
        if (last < 0) {
            return new Grounded(List.copyOf(conversation), List.of());
        }
        String question = conversation.get(last).content();
        List<Citation> citations = new ArrayList<>();
        for (Hit h : knowledge.search(mode == SearchMode.BM25 ? null : embedder, question, k, mode)) {
            citations.add(new Citation(citations.size() + 1, h));
        }
        List<ChatMessage> grounded = new ArrayList<>(conversation);
        grounded.set(last, ChatMessage.user(prompt(question, citations)));
        return new Grounded(grounded, citations);
    }

    /** The template filled with the numbered passages and the question. */
    public String prompt(String question, List<Citation> citations) {
        StringBuilder sources = new StringBuilder();
        for (Citation c : citations) {
            if (!sources.isEmpty()) {
                sources.append("\n\n");
            }
            Hit h = c.hit();
            String lines = h.firstLine() == h.lastLine() ? "line " + h.firstLine() : "lines " + h.firstLine() + "-" + h.lastLine();
            String page = h.firstPage() == 0 ? "" : (h.firstPage() == h.lastPage() ? "page " + h.firstPage() : "pages "
                    + h.firstPage() + "-" + h.lastPage()) + ", ";
            sources.append('[').append(c.number()).append("] ").append(h.documentId()).append(", ").append(page)
                    .append(lines).append('\n').append(h.text());
        }
        if (citations.isEmpty()) {
            sources.append("(no passage matched)");
        }
        return template.replace(SOURCES, sources).replace(QUESTION, question);
    }

    /** The citation numbers an answer uses ({@code [n]} markers within the passages' range), in order of first use. */
    public static List<Integer> cited(String answer, List<Citation> citations) {
        Set<Integer> used = new LinkedHashSet<>();
        Matcher m = MARKER.matcher(answer);
        while (m.find()) {
            int n = Integer.parseInt(m.group(1));
            if (n >= 1 && n <= citations.size()) {
                used.add(n);
            }
        }
        return List.copyOf(used);
    }
}

package dev.plinth.knowledge;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Splits documents into chunks that follow their structure: a heading starts a new chunk, blocks
 * (paragraphs, list items, code) are kept whole while they fit, and a chunk is closed when the next
 * line would take it over the token budget; the next chunk then repeats the last lines of the
 * previous one, up to {@code overlap} tokens. A PDF page starts a new chunk too, so that each
 * cites one page. A line longer than the budget is cut at sentence
 * ends, then between words. Tokens are counted with the embedder's own tokenizer, and the budget
 * covers everything the encoder sees: its two special tokens, the title-and-section line and the passage.
 */
public final class Chunker {
    /** The default budget and overlap, in tokens. */
    public static final int DEFAULT_TOKENS = 256;
    public static final int DEFAULT_OVERLAP = 32;
    private static final int SPECIAL_TOKENS = 2;
    private static final int MIN_CAPACITY = 16;

    private final ToIntFunction<String> tokens;
    private final int budget;
    private final int overlap;

    /**
     * @param tokens  how many tokens a text has, without special tokens (the embedder's tokenizer)
     * @param budget  the most tokens a chunk's embedded text may have, special tokens included
     * @param overlap the most tokens a chunk repeats of the one before it
     */
    public Chunker(ToIntFunction<String> tokens, int budget, int overlap) {
        if (budget < MIN_CAPACITY + SPECIAL_TOKENS + 8) {
            throw new IllegalArgumentException("a chunk budget of " + budget + " tokens is too small (at least "
                    + (MIN_CAPACITY + SPECIAL_TOKENS + 8) + ")");
        }
        if (overlap < 0 || overlap >= budget / 2) {
            throw new IllegalArgumentException("the overlap must lie in [0, " + budget / 2 + "), not " + overlap);
        }
        this.tokens = tokens;
        this.budget = budget;
        this.overlap = overlap;
    }

    /** A line, or part of one, with its token count and the block it belongs to. */
    private record Unit(String text, Piece piece, int block, boolean wholePiece, int tokens) {
    }

    /** The chunks of one document, in order. */
    public List<Chunk> chunk(Document document) {
        return new Run(document).chunks;
    }

    private final class Run {
        final Document document;
        final List<Chunk> chunks = new ArrayList<>();
        final Deque<Block> trail = new ArrayDeque<>();
        List<Unit> current = new ArrayList<>();
        int currentTokens;
        String section = "";
        int capacity;

        Run(Document document) {
            this.document = document;
            updateCapacity();
            List<Block> blocks = document.blocks();
            for (int b = 0; b < blocks.size(); b++) {
                Block block = blocks.get(b);
                if (block.kind() == Block.Kind.HEADING) {
                    close(false);
                    enter(block);
                } else if (!current.isEmpty() && current.getLast().piece().page() != block.pieces().getFirst().page()) {
                    close(false);
                }
                List<Unit> units = units(block, b);
                int blockTokens = units.stream().mapToInt(Unit::tokens).sum();
                if (!current.isEmpty() && currentTokens + blockTokens > capacity && currentTokens * 2 >= capacity) {
                    close(true);
                }
                for (Unit u : units) {
                    if (!current.isEmpty() && currentTokens + u.tokens() > capacity) {
                        close(true);
                    }
                    current.add(u);
                    currentTokens += u.tokens();
                }
            }
            close(false);
        }

        /** A heading replaces those of its level and below in the section trail. */
        private void enter(Block heading) {
            while (!trail.isEmpty() && trail.peekLast().level() >= heading.level()) {
                trail.pollLast();
            }
            trail.addLast(heading);
            List<String> names = trail.stream().map(Block::text).toList();
            section = String.join(" > ", names);
            updateCapacity();
        }

        /** What is left for the passage once the special tokens and the context line are counted. */
        private void updateCapacity() {
            int context = tokens.applyAsInt(Chunk.context(document.title(), section));
            if (context > budget / 4) {
                section = trail.isEmpty() ? "" : trail.peekLast().text();
                context = tokens.applyAsInt(Chunk.context(document.title(), section));
                if (context > budget / 4) {
                    section = "";
                    context = Math.min(budget / 4, tokens.applyAsInt(document.title()));
                }
            }
            capacity = Math.max(MIN_CAPACITY, budget - SPECIAL_TOKENS - context);
        }

        private List<Unit> units(Block block, int index) {
            List<Unit> units = new ArrayList<>();
            for (Piece p : block.pieces()) {
                int n = tokens.applyAsInt(p.text());
                if (n <= capacity) {
                    units.add(new Unit(p.text(), p, index, true, n));
                } else {
                    for (String part : split(p.text())) {
                        units.add(new Unit(part, p, index, false, tokens.applyAsInt(part)));
                    }
                }
            }
            return units;
        }

        /** An over-long text cut into parts that fit: whole sentences where they fit, else runs of words. */
        private List<String> split(String text) {
            List<String> sentences = new ArrayList<>();
            for (String sentence : text.split("(?<=[.!?;:])\\s+")) {
                if (tokens.applyAsInt(sentence) <= capacity) {
                    sentences.add(sentence);
                } else {
                    List<String> words = new ArrayList<>();
                    for (String word : sentence.split("\\s+")) {
                        words.addAll(fitting(word));
                    }
                    sentences.addAll(pack(words));
                }
            }
            return pack(sentences);
        }

        /** Consecutive items joined by spaces into as few runs as fit the capacity (each item fits alone). */
        private List<String> pack(List<String> items) {
            List<String> runs = new ArrayList<>();
            StringBuilder run = new StringBuilder();
            int runTokens = 0;
            for (String item : items) {
                int n = tokens.applyAsInt(item);
                if (!run.isEmpty() && runTokens + n > capacity) {
                    runs.add(run.toString());
                    run.setLength(0);
                    runTokens = 0;
                }
                run.append(run.isEmpty() ? "" : " ").append(item);
                runTokens += n;
            }
            if (!run.isEmpty()) {
                runs.add(run.toString());
            }
            return runs;
        }

        private List<String> fitting(String word) {
            if (tokens.applyAsInt(word) <= capacity) {
                return List.of(word);
            }
            List<String> cuts = new ArrayList<>();
            int step = Math.max(1, capacity);
            for (int i = 0; i < word.length(); i += step) {
                cuts.add(word.substring(i, Math.min(word.length(), i + step)));
            }
            return cuts;
        }

        /** Emits the current chunk; with {@code carry}, its last units up to the overlap start the next one. */
        private void close(boolean carry) {
            if (current.isEmpty()) {
                return;
            }
            chunks.add(toChunk(current, chunks.size()));
            List<Unit> next = new ArrayList<>();
            int nextTokens = 0;
            if (carry) {
                for (int i = current.size() - 1; i > 0; i--) {
                    Unit u = current.get(i);
                    if (nextTokens + u.tokens() > overlap) {
                        break;
                    }
                    next.addFirst(u);
                    nextTokens += u.tokens();
                }
            }
            current = next;
            currentTokens = nextTokens;
        }

        private Chunk toChunk(List<Unit> units, int ordinal) {
            StringBuilder text = new StringBuilder();
            Unit previous = null;
            int firstLine = Integer.MAX_VALUE;
            int lastLine = 0;
            int firstPage = Integer.MAX_VALUE;
            int lastPage = 0;
            for (Unit u : units) {
                if (previous != null) {
                    text.append(previous.block() != u.block() ? "\n\n" : previous.piece() == u.piece() ? " " : "\n");
                }
                text.append(u.text());
                Piece p = u.piece();
                firstLine = Math.min(firstLine, p.firstLine());
                lastLine = Math.max(lastLine, p.lastLine());
                firstPage = Math.min(firstPage, p.page());
                lastPage = Math.max(lastPage, p.page());
                previous = u;
            }
            if (firstPage > 0) {
                firstLine = units.getFirst().piece().firstLine();
                lastLine = units.getLast().piece().lastLine();
            }
            return new Chunk(document.id(), document.title(), section, text.toString(), firstLine, lastLine,
                    firstPage, lastPage, ordinal);
        }
    }
}

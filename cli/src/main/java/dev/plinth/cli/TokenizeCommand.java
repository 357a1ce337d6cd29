package dev.plinth.cli;

import dev.plinth.model.TokenizerLoader;
import dev.plinth.text.Tokenizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code plinth tokenize}: the token ids and pieces of a text under a model's tokenizer. */
@Command(name = "tokenize",
        description = {"Split a text into tokens with a model's tokenizer; print ids and pieces.",
                "Without TEXT, reads the text from standard input exactly as given (UTF-8, newlines kept)."})
final class TokenizeCommand implements Callable<Integer> {

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "MODEL",
            description = "A GGUF file, a Hugging Face folder or tokenizer.json, or a llama2.c checkpoint (with --tokenizer).")
    Path model;

    @Parameters(index = "1", arity = "0..1", paramLabel = "TEXT",
            description = "The text to tokenize; standard input when absent.")
    String text;

    @Option(names = "--ids", description = "Print only the ids, space-separated, on one line.")
    boolean idsOnly;

    @ArgGroup(exclusive = true)
    Specials specials = new Specials();

    static final class Specials {
        @Option(names = "--add-special",
                description = "Add the model's special tokens (BOS, or CLS/SEP) as llama.cpp and HF tokenizers do (default).")
        boolean add;

        @Option(names = {"--no-bos", "--no-add-special"}, description = "Add no special tokens.")
        boolean none;
    }

    @Option(names = "--parse-special",
            description = "Read special-token text in the input (e.g. <s>) as those tokens, not as plain text.")
    boolean parseSpecial;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "A tokenizer file to use instead of the model's own: tok.bin (llama2.c) or tokenizer.json.")
    Path tokenizerFile;

    TokenizeCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        String input = text != null ? text : readStandardInput();
        long start = System.nanoTime();
        try (TokenizerLoader loader = TokenizerLoader.open(model, tokenizerFile)) {
            console.debug("tokenizer: %s", loader.source());
            Tokenizer tokenizer = loader.tokenizer();
            long loaded = System.nanoTime();
            int[] ids = tokenizer.encode(input, !specials.none, parseSpecial);
            long done = System.nanoTime();
            console.debug("tokenizer loaded in %.1f ms; %d tokens in %.1f ms",
                    (loaded - start) / 1e6, ids.length, (done - loaded) / 1e6);
            if (idsOnly) {
                console.out().println(ids(ids));
            } else {
                table(tokenizer, ids).forEach(console.out()::println);
            }
        }
        return Main.OK;
    }

    static String ids(int[] ids) {
        StringJoiner line = new StringJoiner(" ");
        for (int id : ids) {
            line.add(Integer.toString(id));
        }
        return line.toString();
    }

    static List<String> table(Tokenizer tokenizer, int[] ids) {
        List<String[]> rows = new ArrayList<>(ids.length + 1);
        rows.add(new String[] {"id", "piece"});
        for (int id : ids) {
            rows.add(new String[] {Integer.toString(id), "\"" + TextFormat.escape(tokenizer.piece(id)) + "\""});
        }
        return TextFormat.table(rows, true, false);
    }

    private String readStandardInput() throws IOException {
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

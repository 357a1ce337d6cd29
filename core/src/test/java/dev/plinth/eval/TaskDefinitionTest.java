package dev.plinth.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The definition format, and errors that name the file and line of a malformed definition or row. */
class TaskDefinitionTest {

    @TempDir
    Path dir;

    private static final String PIQA = """
            # a comment
            task      mini
            type      multiple-choice
            data      mini.jsonl
            context   "Question: {goal}\\nAnswer:"
            choice    {sol1}
            choice    {sol2}
            gold      {label}
            metrics   acc, acc_norm
            """;

    @Test
    void readsEveryDirective() {
        TaskDefinition d = TaskDefinition.parse(PIQA, "mini.task");
        assertEquals("mini", d.name());
        assertEquals(TaskDefinition.Kind.MULTIPLE_CHOICE, d.kind());
        assertEquals(List.of("acc", "acc_norm"), d.metrics());
        assertEquals(2, d.choiceList().size());
        var row = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("goal", "Open a jar");
        assertEquals("Question: Open a jar\nAnswer:", d.context().render(row));
        assertEquals(" ", d.delimiter().render(row), "the default delimiter");
    }

    @Test
    void everyBuiltInDefinitionParses() throws Exception {
        for (String name : Tasks.BUILT_IN) {
            assertEquals(name, Tasks.builtIn(name).name());
        }
    }

    private static void refused(String text, String where, String what) {
        TaskFormatException e = assertThrows(TaskFormatException.class, () -> TaskDefinition.parse(text, "t.task"));
        assertTrue(e.getMessage().startsWith("t.task:" + where + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(what), e.getMessage());
    }

    @Test
    void malformedDefinitionsNameTheirLine() {
        refused(PIQA + "colour blue\n", "10", "unknown key 'colour'");
        refused(PIQA + "gold {x}\n", "10", "gold given twice (first on line 8)");
        refused(PIQA.replace("multiple-choice", "essay"), "3", "unknown type 'essay'");
        refused(PIQA.replace("{goal}", "{goal"), "5", "{ is never closed");
        refused(PIQA.replace("{goal}", "{go al}"), "5", "is not a field path");
        refused(PIQA.replace("{goal}", "{goal|shout}"), "5", "unknown filter '|shout'");
        refused(PIQA.replace("\\n", "\\q"), "5", "unknown escape \\q");
        refused(PIQA.replace("acc, acc_norm", "acc bleu"), "9", "metric 'bleu' is not one of a multiple-choice task's");
        refused(PIQA.replace("task      mini", "task      Mini Task"), "2", "a task name is");
        refused(PIQA.replace("data      mini.jsonl\n", ""), "1", "no 'data PATH' line");
        refused(PIQA + "continuation {x}\n", "10", "'continuation' has no meaning with 'context'");
        refused(PIQA.replace("choice    {sol2}\n", ""), "6", "one 'choice' line is no choice");
        refused("task x\ntype loglikelihood\ndata d\ncontext {c}\n", "1", "'continuation' is needed in a loglikelihood task");
    }

    private Task load(String definition, String data) throws Exception {
        Files.writeString(dir.resolve("mini.jsonl"), data, StandardCharsets.UTF_8);
        Path file = dir.resolve("mini.task");
        Files.writeString(file, definition, StandardCharsets.UTF_8);
        return Tasks.resolve(file.toString(), dir);
    }

    private void rowRefused(String data, int line, String what) {
        TaskFormatException e = assertThrows(TaskFormatException.class, () -> load(PIQA, data));
        assertEquals(dir.resolve("mini.jsonl").toString(), e.file(), e.getMessage());
        assertEquals(line, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains(what), e.getMessage());
    }

    @Test
    void malformedRowsNameTheirFileAndLine() {
        String good = "{\"goal\": \"g\", \"sol1\": \"a\", \"sol2\": \"b\", \"label\": 1}\n";
        rowRefused(good + "\n" + "{\"goal\": \"g\", \"sol1\": \n", 3, "not JSON");
        rowRefused(good + "[1, 2]\n", 2, "not a JSON object");
        rowRefused(good + "{\"sol1\": \"a\", \"sol2\": \"b\", \"label\": 1}\n", 2, "no value for {goal}");
        rowRefused(good + good.replace("\"label\": 1", "\"label\": 2"), 2, "gold 2 is not the index of one of 2 choices");
        rowRefused(good + good.replace("\"label\": 1", "\"label\": \"one\""), 2, "gold must be a whole number");
        rowRefused(good + good.replace("\"goal\": \"g\"", "\"goal\": [1]"), 2, "{goal} is a list");
    }

    @Test
    void keepLinesSelectRowsAndTheDigestCoversDefinitionAndData() throws Exception {
        String data = "{\"goal\": \"g\", \"sol1\": \"a\", \"sol2\": \"b\", \"label\": 1, \"ok\": \"yes\"}\n"
                + "{\"goal\": \"h\", \"sol1\": \"a\", \"sol2\": \"b\", \"label\": 0, \"ok\": \"no\"}\n";
        Task all = load(PIQA, data);
        Task kept = load(PIQA + "keep ok = yes\n", data);
        assertEquals(2, all.size());
        assertEquals(1, kept.size());
        assertTrue(!all.digest().equals(kept.digest()), "the definition is in the digest");
        Task changed = load(PIQA, data.replace("\"h\"", "\"i\""));
        assertTrue(!all.digest().equals(changed.digest()), "the data is in the digest");
        assertEquals(all.digest(), load(PIQA, data).digest());
    }

    @Test
    void fewShotExamplesComeFromOtherRowsWithTheirRightAnswers() throws Exception {
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            data.append("{\"goal\": \"g").append(i).append("\", \"sol1\": \"wrong").append(i).append("\", \"sol2\": \"right")
                    .append(i).append("\", \"label\": 1}\n");
        }
        Task t = load(PIQA + "description Practice.\\n\\n\n", data.toString());
        Item item = t.items(0, 2).get(3);
        String context = item.requests().getFirst().context();
        assertTrue(context.startsWith("Practice.\n\nQuestion: g"), context);
        assertTrue(context.endsWith("\n\nQuestion: g3\nAnswer:"), context);
        assertEquals(2, context.split("\\nAnswer: right", -1).length - 1, "two examples, each with its right answer: " + context);
        assertTrue(!context.contains("g3\nAnswer: right3"), "never the item itself");
        assertEquals(context, t.items(0, 2).get(3).requests().getFirst().context(), "the same examples every run");
    }

    @Test
    void probesNeedExactlyOneCheck() throws Exception {
        Path probes = dir.resolve("canaries.jsonl");
        Files.writeString(probes, "{\"name\": \"a\", \"prompt\": \"p\", \"expected\": \"x\"}\n"
                + "{\"name\": \"b\", \"prompt\": \"p\", \"expected\": \"x\", \"forbidden\": \"y\"}\n");
        TaskFormatException e = assertThrows(TaskFormatException.class, () -> Tasks.resolve(probes.toString(), dir));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("exactly one of expected, forbidden, regex"), e.getMessage());
        Files.writeString(probes, "{\"name\": \"a\", \"prompt\": \"p\", \"regex\": \"(\"}\n");
        e = assertThrows(TaskFormatException.class, () -> Tasks.resolve(probes.toString(), dir));
        assertTrue(e.getMessage().contains("regex does not compile"), e.getMessage());
    }

    @Test
    void aMalformedCsvRowNamesItsLine() throws Exception {
        Path csv = dir.resolve("pairs.csv");
        Files.writeString(csv, ",sent_more,sent_less\n0,\"a, b\",c\n1,\"never closed,d\n");
        String def = "task pairs\ndata pairs.csv\ncontext \"\"\nchoice {sent_more}\nchoice {sent_less}\ngold 0\n";
        Path file = dir.resolve("pairs.task");
        Files.writeString(file, def);
        TaskFormatException e = assertThrows(TaskFormatException.class, () -> Tasks.resolve(file.toString(), dir));
        assertEquals(3, e.line(), e.getMessage());
        Files.writeString(csv, ",sent_more,sent_less\n0,\"a, \"\"b\"\"\",c\n");
        Task t = Tasks.resolve(file.toString(), dir);
        assertEquals("a, \"b\"", t.items(0, 0).getFirst().choices().getFirst());
    }
}

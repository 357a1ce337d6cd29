package dev.plinth.product;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.text.ChatMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlinthfileTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("Plinthfile");
    }

    @Test
    void everyDirectiveInAnyOrderAndCase() throws Exception {
        Files.createDirectories(dir.resolve("adapters/mail"));
        Plinthfile p = Plinthfile.parse("""
                # a tutor
                parameter temperature 0.7
                System \"""You are a tutor.
                  Answer briefly.\"""
                MESSAGE user What is a noun?
                message ASSISTANT "A naming word."
                FROM ../base.gguf
                ADAPTER adapters/mail 0.5
                adapter "adapters/mail"
                PARAMETER stop "<|im_end|>"
                PARAMETER stop User:
                PARAMETER top_k 20
                TEMPLATE \"""{{ messages }}\"""
                LICENSE MIT
                LICENSE \"""Apache
                2.0\"""
                DESCRIPTION   A careful tutor.\s\s
                """, file());
        assertEquals("../base.gguf", p.from().reference());
        assertEquals(new Plinthfile.Position(7, 6), p.from().at());
        assertEquals(dir.getParent().resolve("base.gguf").toAbsolutePath(), p.resolve(p.from().reference()));
        assertEquals(2, p.adapters().size());
        assertEquals(dir.resolve("adapters/mail").toAbsolutePath(), p.adapters().getFirst().path());
        assertEquals(0.5f, p.adapters().getFirst().scale());
        assertEquals(1f, p.adapters().get(1).scale());
        Profile profile = p.profile();
        assertEquals("You are a tutor.\n  Answer briefly.", profile.system());
        assertEquals(List.of(ChatMessage.user("What is a noun?"), ChatMessage.assistant("A naming word.")), profile.messages());
        assertEquals("{{ messages }}", profile.template());
        assertEquals(0.7f, profile.parameters().temperature().orElseThrow());
        assertEquals(20, profile.parameters().topK().orElseThrow());
        assertEquals(List.of("<|im_end|>", "User:"), profile.parameters().stops());
        assertEquals(List.of("MIT", "Apache\n2.0"), p.licenses());
        assertEquals("A careful tutor.", p.description());
    }

    /** A bad line, and the line, column and words of its error. */
    private record Bad(String text, int line, int column, String message) {
    }

    @Test
    void errorsNameTheLineAndColumn() throws Exception {
        Files.writeString(dir.resolve("not-an-adapter.txt"), "x");
        List<Bad> table = List.of(
                new Bad("FROM a.gguf\nFORM b.gguf\n", 2, 1, "unknown directive 'FORM'"),
                new Bad("# only a comment\n", 1, 1, "no FROM line"),
                new Bad("FROM a.gguf\nFROM b.gguf\n", 2, 1, "FROM given twice (first on line 1)"),
                new Bad("FROM\n", 1, 5, "FROM needs a value"),
                new Bad("FROM a.gguf\n  SYSTEM \"\"\"never\nclosed\n", 2, 10, "is never closed"),
                new Bad("FROM a.gguf\nSYSTEM \"\"\"a\"\"\" b\n", 2, 16, "text after the closing"),
                new Bad("FROM a.gguf\nPARAMETER temprature 1\n", 2, 11, "unknown parameter 'temprature'"),
                new Bad("FROM a.gguf\nPARAMETER temperature hot\n", 2, 23, "temperature must be a number from 0 to 10, not 'hot'"),
                new Bad("FROM a.gguf\nPARAMETER top_p 1.5\n", 2, 17, "top_p must be a number from 0 to 1"),
                new Bad("FROM a.gguf\nPARAMETER top_k -1\n", 2, 17, "top_k must be a whole number"),
                new Bad("FROM a.gguf\nPARAMETER repeat_penalty 0\n", 2, 26, "repeat_penalty must be a number above 0"),
                new Bad("FROM a.gguf\nPARAMETER max_tokens 0\n", 2, 22, "max_tokens must be a whole number, -1"),
                new Bad("FROM a.gguf\nPARAMETER num_ctx 99999999\n", 2, 19, "num_ctx must be a whole number from 1 to 1048576"),
                new Bad("FROM a.gguf\nPARAMETER seed 1.5\n", 2, 16, "seed must be a whole number"),
                new Bad("FROM a.gguf\nPARAMETER temperature 1\nPARAMETER temperature 2\n", 3, 11, "given twice (first on line 2)"),
                new Bad("FROM a.gguf\nPARAMETER\n", 2, 10, "PARAMETER needs a name and a value"),
                new Bad("FROM a.gguf\nMESSAGE robot hi\n", 2, 9, "MESSAGE role must be user, assistant or system, not 'robot'"),
                new Bad("FROM a.gguf\nMESSAGE user\n", 2, 13, "MESSAGE user needs a value"),
                new Bad("FROM a.gguf\nADAPTER missing-adapter\n", 2, 9, "no such adapter file or folder"),
                new Bad("FROM a.gguf\nSYSTEM a\nSYSTEM b\n", 3, 1, "SYSTEM given twice"),
                new Bad("FROM a.gguf\nKNOWLEDGE policies\n\tKNOWLEDGE rules\n", 3, 2, "KNOWLEDGE given twice"));
        for (Bad bad : table) {
            PlinthfileException e = assertThrows(PlinthfileException.class, () -> Plinthfile.parse(bad.text(), file()), bad.text());
            assertEquals(bad.line(), e.line(), bad.text() + " -> " + e.getMessage());
            assertEquals(bad.column(), e.column(), bad.text() + " -> " + e.getMessage());
            assertTrue(e.getMessage().startsWith(file() + ":" + bad.line() + ":" + bad.column() + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(bad.message()), e.getMessage());
        }
    }

    @Test
    void auditGatesThresholdsAndNoRegression() throws Exception {
        Plinthfile p = Plinthfile.parse("""
                FROM a.gguf
                AUDIT arc-easy acc >= 0.3
                audit crows-pairs pct_stereotype<0.6
                AUDIT no-regression probes/canaries.jsonl
                """, file());
        List<Plinthfile.Gate> gates = p.gates();
        assertEquals(3, gates.size());
        assertEquals("AUDIT arc-easy acc >= 0.3", gates.get(0).describe());
        assertTrue(gates.get(0).passes(0.3) && !gates.get(0).passes(0.29));
        assertEquals("<", gates.get(1).op());
        assertTrue(gates.get(1).passes(0.59) && !gates.get(1).passes(0.6));
        assertTrue(gates.get(2).noRegression());
        assertEquals(dir.resolve("probes/canaries.jsonl").toString(), gates.get(2).task(), "a task path is resolved");
        assertEquals(4, gates.get(2).at().line());

        for (Bad bad : List.of(
                new Bad("FROM a.gguf\nAUDIT arc-easy acc >> 0.3\n", 2, 7, "AUDIT is 'AUDIT task metric >= value'"),
                new Bad("FROM a.gguf\nAUDIT arc-easy acc >= high\n", 2, 23, "the gate's value must be a number, not 'high'"),
                new Bad("FROM a.gguf\nAUDIT\n", 2, 6, "AUDIT needs a value"))) {
            PlinthfileException e = assertThrows(PlinthfileException.class, () -> Plinthfile.parse(bad.text(), file()), bad.text());
            assertEquals(bad.line(), e.line(), e.getMessage());
            assertEquals(bad.column(), e.column(), e.getMessage());
            assertTrue(e.getMessage().contains(bad.message()), e.getMessage());
        }
    }

    @Test
    void aFileThatIsNotUtf8IsRefused() throws Exception {
        Files.write(file(), new byte[] {'F', 'R', 'O', 'M', ' ', (byte) 0xff});
        PlinthfileException e = assertThrows(PlinthfileException.class, () -> Plinthfile.read(file()));
        assertTrue(e.getMessage().contains("not UTF-8"), e.getMessage());
        Files.writeString(file(), "FROM ü.gguf\r\nSYSTEM x\r\n", StandardCharsets.UTF_8);
        assertEquals("ü.gguf", Plinthfile.read(file()).from().reference());
    }
}

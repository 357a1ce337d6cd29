package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MainTest {

    @Test
    void helpGoesToStandardOutputAndListsTheCommands() {
        Cli r = Cli.run("--help");
        assertEquals(0, r.code());
        assertEquals("", r.err());
        assertTrue(r.out().startsWith("Usage: plinth "), r.out());
        assertTrue(r.out().contains("inspect"), r.out());
        assertTrue(r.out().contains("tokenize"), r.out());
        assertTrue(r.out().contains("--verbose"), r.out());
    }

    @Test
    void everySubcommandHasHelp() {
        for (String command : new String[] {"inspect", "tokenize"}) {
            Cli r = Cli.run(command, "--help");
            assertEquals(0, r.code(), command);
            assertEquals("", r.err(), command);
            assertTrue(r.out().startsWith("Usage: plinth " + command + " "), r.out());
        }
        Cli viaHelp = Cli.run("help", "inspect");
        assertEquals(0, viaHelp.code());
        assertTrue(viaHelp.out().startsWith("Usage: plinth inspect "), viaHelp.out());
    }

    @Test
    void versionNamesPlinthAndJava() {
        Cli r = Cli.run("--version");
        assertEquals(0, r.code());
        assertEquals("", r.err());
        String[] lines = r.outLines();
        assertTrue(lines[0].matches("plinth \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), lines[0]);
        assertTrue(lines[1].startsWith("Java " + Runtime.version()), lines[1]);
    }

    @Test
    void noCommandIsAUsageError() {
        Cli r = Cli.run();
        assertEquals(2, r.code());
        assertEquals("", r.out());
        assertEquals("plinth: missing command (see 'plinth --help')\n", r.err());
    }

    @Test
    void unknownCommandAndUnknownOptionAreUsageErrorsOnOneLine() {
        Cli command = Cli.run("frobnicate");
        assertEquals(2, command.code());
        assertEquals("", command.out());
        assertEquals("plinth: Unmatched argument at index 0: 'frobnicate' (see 'plinth --help')\n", command.err());

        Cli option = Cli.run("inspect", "--bogus", "x.gguf");
        assertEquals(2, option.code());
        assertEquals("", option.out());
        assertEquals("plinth: Unknown option: '--bogus' (see 'plinth inspect --help')\n", option.err());
    }

    @Test
    void missingParameterIsAUsageError() {
        Cli r = Cli.run("inspect");
        assertEquals(2, r.code());
        assertEquals("", r.out());
        assertEquals("plinth: Missing required parameter: 'FILE|DIR' (see 'plinth inspect --help')\n", r.err());
    }

    @Test
    void describesFailuresInOneLine() {
        assertEquals("no such file or directory: a.gguf",
                Main.describe(new java.nio.file.NoSuchFileException("a.gguf"), false));
        assertEquals("internal error: java.lang.IllegalStateException: boom (run with --verbose for the stack trace)",
                Main.describe(new IllegalStateException("boom"), false));
        assertEquals("internal error: java.lang.IllegalStateException: boom",
                Main.describe(new IllegalStateException("boom"), true));
    }
}

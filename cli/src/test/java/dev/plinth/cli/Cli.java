package dev.plinth.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Runs {@link Main#run} in-process and captures what it wrote. */
record Cli(int code, String out, String err) {

    static Cli run(String... args) {
        return runWithInput(new byte[0], args);
    }

    static Cli runWithInput(String stdin, String... args) {
        return runWithInput(stdin.getBytes(StandardCharsets.UTF_8), args);
    }

    static Cli runWithInput(byte[] stdin, String... args) {
        return runWithEnvironment(System.getenv(), stdin, args);
    }

    /** Runs with {@code home} as {@code PLINTH_HOME}: the product store of the command. */
    static Cli runIn(Path home, String... args) {
        return runInWithInput(home, "", args);
    }

    static Cli runInWithInput(Path home, String stdin, String... args) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("PLINTH_HOME", home.toString());
        return runWithEnvironment(env, stdin.getBytes(StandardCharsets.UTF_8), args);
    }

    private static Cli runWithEnvironment(Map<String, String> env, byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, false, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.run(args, o, e, new ByteArrayInputStream(stdin), env);
        }
        return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    String[] outLines() {
        return out.split("\n", -1);
    }
}

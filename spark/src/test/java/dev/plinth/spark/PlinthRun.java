package dev.plinth.spark;

import dev.plinth.cli.Main;
import dev.plinth.cli.ScaleOut;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** A plinth command line run in this JVM: exit code, standard output and standard error. */
record PlinthRun(int code, String out, String err) {

    static PlinthRun of(ScaleOut scaleOut, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), InputStream.nullInputStream(), scaleOut);
        return new PlinthRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}

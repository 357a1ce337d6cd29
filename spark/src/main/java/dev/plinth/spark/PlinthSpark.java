package dev.plinth.spark;

import dev.plinth.cli.Main;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * {@code spark-submit --class dev.plinth.spark.PlinthSpark plinth-spark.jar JOB ARGS}: the {@code plinth}
 * command line ({@code corpus build ...}), with the steps that can run as Spark jobs handed to this
 * application's session. Without a master from spark-submit or {@code --master URL} (first), it runs
 * in local mode on every core.
 */
public final class PlinthSpark {

    private PlinthSpark() {
    }

    public static void main(String[] args) {
        String master = null;
        if (args.length >= 2 && args[0].equals("--master")) {
            master = args[1];
            args = Arrays.copyOfRange(args, 2, args.length);
        }
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        SparkSession spark = session(master, "plinth " + String.join(" ", Arrays.copyOf(args, Math.min(2, args.length))));
        int code;
        try {
            code = Main.run(args, out, err, System.in, new SparkScaleOut(spark));
        } finally {
            spark.stop();
        }
        out.flush();
        System.exit(code);
    }

    static SparkSession session(String master, String name) {
        SparkSession.Builder builder = SparkSession.builder().appName(name);
        if (master != null) {
            builder.master(master);
        } else if (!new SparkConf().contains("spark.master")) {
            builder.master("local[*]");
        }
        return builder.getOrCreate();
    }
}

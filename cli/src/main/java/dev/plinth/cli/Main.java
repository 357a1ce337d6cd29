package dev.plinth.cli;

import dev.plinth.eval.TaskFormatException;
import dev.plinth.io.ModelFormatException;
import dev.plinth.knowledge.KnowledgeException;
import dev.plinth.model.ContextOverflowException;
import dev.plinth.model.MissingTokenizerException;
import dev.plinth.model.UnsupportedModelException;
import dev.plinth.product.ProductException;
import dev.plinth.text.template.ChatTemplateException;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * Entry point of the {@code plinth} command. {@link #run} does the work and returns the exit
 * code: 0 on success, 1 for a runtime error (missing or malformed file, unsupported format),
 * 2 for a usage error.
 */
@Command(name = "plinth",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "The Java platform for foundation models.",
        footer = {"", "Results go to standard output; logs, timings and errors to standard error.",
                "Exit codes: 0 success, 1 runtime error (bad file, unsupported format), 2 usage error.",
                "In a source checkout, './plinth test [MAVEN OPTIONS]' runs the test suite."})
public final class Main implements Callable<Integer> {

    static final int OK = 0;
    static final int RUNTIME_ERROR = 1;
    static final int USAGE_ERROR = 2;

    private final Console console;

    @Spec
    private CommandSpec spec;

    private Main(Console console) {
        this.console = console;
    }

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Print debug logs, timings and stack traces to standard error.")
    void setVerbose(boolean verbose) {
        if (verbose) {
            console.setVerbosity(Console.Verbosity.VERBOSE);
        }
    }

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT,
            description = "Print nothing to standard error but errors.")
    void setQuiet(boolean quiet) {
        if (quiet) {
            console.setVerbosity(Console.Verbosity.QUIET);
        }
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command (see 'plinth --help')");
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
                false, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        int code = run(args, out, err, System.in);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs the command line {@code args} against these streams and returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err, InputStream in) {
        return run(args, out, err, in, System.getenv());
    }

    /** As {@link #run(String[], PrintStream, PrintStream, InputStream)}, handing the commands' cluster-sized steps to {@code scaleOut}. */
    public static int run(String[] args, PrintStream out, PrintStream err, InputStream in, ScaleOut scaleOut) {
        Console console = new Console(out, err, in, System.getenv());
        console.setScaleOut(scaleOut);
        int code = execute(console, args);
        out.flush();
        return code;
    }

    /** As {@link #run(String[], PrintStream, PrintStream, InputStream)}, with {@code environment} as the environment. */
    static int run(String[] args, PrintStream out, PrintStream err, InputStream in, Map<String, String> environment) {
        Console console = new Console(out, err, in, environment);
        int code = execute(console, args);
        out.flush();
        return code;
    }

    /**
     * Runs {@code args} as a plinth command line on {@code console} and returns its exit code; commands
     * that chain others (quickstart) call this, so each step reports errors as it would on its own.
     */
    static int execute(Console console, String... args) {
        console.setArguments(args);
        CommandLine cli = commandLine(console);
        cli.setOut(new PrintWriter(console.out(), true, StandardCharsets.UTF_8));
        cli.setErr(new PrintWriter(console.err(), true, StandardCharsets.UTF_8));
        cli.setParameterExceptionHandler((ex, arguments) -> usageError(console, ex));
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> runtimeError(console, ex));
        return cli.execute(args);
    }

    /** Every plinth command, on {@code console}. */
    static CommandLine commandLine(Console console) {
        return new CommandLine(new Main(console))
                .addSubcommand(new CommandLine.HelpCommand())
                .addSubcommand(new QuickstartCommand(console))
                .addSubcommand(new InspectCommand(console))
                .addSubcommand(new TokenizeCommand(console))
                .addSubcommand(new RunCommand(console))
                .addSubcommand(new ChatCommand(console))
                .addSubcommand(new BenchCommand(console))
                .addSubcommand(new QuantizeCommand(console))
                .addSubcommand(new ExportCommand(console))
                .addSubcommand(new MergeCommand(console))
                .addSubcommand(new EmbedCommand(console))
                .addSubcommand(new PerplexityCommand(console))
                .addSubcommand(new EvalCommand(console))
                .addSubcommand(new AuditCommand(console))
                .addSubcommand(new CommandLine(new TokenizerCommand())
                        .addSubcommand(new TokenizerTrainCommand(console)))
                .addSubcommand(new CommandLine(new CorpusCommand())
                        .addSubcommand(new CorpusStarterCommand(console))
                        .addSubcommand(new CorpusBuildCommand(console)))
                .addSubcommand(new PretrainCommand(console))
                .addSubcommand(new FinetuneCommand(console))
                .addSubcommand(new ClassifyCommand(console))
                .addSubcommand(new CreateCommand(console))
                .addSubcommand(new ListCommand(console))
                .addSubcommand(new ShowCommand(console))
                .addSubcommand(new CopyCommand(console))
                .addSubcommand(new RemoveCommand(console))
                .addSubcommand(new PruneCommand(console))
                .addSubcommand(new VerifyCommand(console))
                .addSubcommand(new ImportCommand(console))
                .addSubcommand(new LineageCommand(console))
                .addSubcommand(new CommandLine(new KnowledgeCommand())
                        .addSubcommand(new KnowledgeCreateCommand(console))
                        .addSubcommand(new KnowledgeAddCommand(console))
                        .addSubcommand(new KnowledgeRemoveCommand(console))
                        .addSubcommand(new KnowledgeListCommand(console))
                        .addSubcommand(new KnowledgeShowCommand(console))
                        .addSubcommand(new KnowledgeSearchCommand(console))
                        .addSubcommand(new KnowledgeEvalCommand(console)))
                .addSubcommand(new ServeCommand(console))
                .addSubcommand(new DevCommand(console));
    }

    private static int usageError(Console console, ParameterException ex) {
        if (console.verbose()) {
            ex.printStackTrace(console.err());
        }
        String command = ex.getCommandLine().getCommandSpec().qualifiedName();
        String message = ex.getMessage().replaceFirst("^Error: ", "");
        if (!message.contains("--help")) {
            message += " (see '" + command + " --help')";
        }
        console.error(message);
        return USAGE_ERROR;
    }

    private static int runtimeError(Console console, Exception ex) {
        if (console.verbose()) {
            ex.printStackTrace(console.err());
        }
        console.error(describe(ex, console.verbose()));
        return RUNTIME_ERROR;
    }

    /** One line saying what went wrong, in the user's terms. */
    static String describe(Throwable ex, boolean verbose) {
        return switch (ex) {
            case CliException e -> e.getMessage();
            case ModelFormatException e -> e.getMessage();
            case ContextOverflowException e -> e.getMessage();
            case UnsupportedModelException e -> e.getMessage();
            case MissingTokenizerException e -> e.getMessage() + " (name a tokenizer with --tokenizer FILE)";
            case ChatTemplateException e -> e.getMessage();
            case ProductException e -> e.getMessage();
            case KnowledgeException e -> e.getMessage();
            case TaskFormatException e -> e.getMessage();
            case NoSuchFileException e -> "no such file or directory: " + e.getFile();
            case AccessDeniedException e -> "permission denied: " + e.getFile();
            case FileSystemException e -> e.getFile() + ": " + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName());
            case UncheckedIOException e -> describe(e.getCause(), verbose);
            case IOException e -> e.getMessage() != null ? e.getMessage() : e.toString();
            default -> "internal error: " + ex + (verbose ? "" : " (run with --verbose for the stack trace)");
        };
    }
}

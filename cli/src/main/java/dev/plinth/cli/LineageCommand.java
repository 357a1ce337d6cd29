package dev.plinth.cli;

import dev.plinth.io.AtomicFiles;
import dev.plinth.product.Lineage;
import dev.plinth.product.Product;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth lineage}: a product's lineage as a text tree, or drawn as SVG. */
@Command(name = "lineage",
        description = {"Print a product's lineage tree (what it stands on, each by digest), or draw it as an SVG file."})
final class LineageCommand implements Callable<Integer> {

    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME", description = "The product whose lineage to print or draw: NAME[:TAG].")
    String name;

    @Option(names = "--svg", paramLabel = "FILE", description = "Draw the tree into this SVG file (written atomically).")
    Path svg;

    LineageCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        Product p = Products.product(console, spec, name);
        if (svg == null) {
            console.out().print(Lineage.text(p.name().toString(), p.digest(), p.lineage()));
            return Main.OK;
        }
        byte[] drawing = Lineage.svg(p.name().toString(), p.digest(), p.lineage()).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(svg, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(drawing)));
        console.info("wrote %s", svg);
        return Main.OK;
    }
}

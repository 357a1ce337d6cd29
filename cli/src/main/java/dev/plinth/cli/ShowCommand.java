package dev.plinth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.product.Descriptor;
import dev.plinth.product.LayerType;
import dev.plinth.product.Lineage;
import dev.plinth.product.PlinthfileWriter;
import dev.plinth.product.Product;
import dev.plinth.product.Profile;
import dev.plinth.text.ChatMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth show}: what a product is made of. */
@Command(name = "show",
        description = {"Show a product: its digest, base, adapters, profile (system prompt, few-shot turns, template,",
                "parameters), licences and layers; or the Plinthfile that re-creates it, its JSON, or its lineage."})
final class ShowCommand implements Callable<Integer> {

    private static final int CUT = 72;

    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME", description = "The product: NAME[:TAG].")
    String name;

    @ArgGroup(exclusive = true)
    Form form = new Form();

    static final class Form {
        @Option(names = "--plinthfile", description = "Print a Plinthfile that re-creates the product.")
        boolean plinthfile;

        @Option(names = "--json", description = "Print the manifest, profile, licences and lineage as one JSON document.")
        boolean json;

        @Option(names = "--lineage", description = "Print the lineage tree: everything the product stands on, by digest.")
        boolean lineage;
    }

    ShowCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        Product p = Products.product(console, spec, name);
        if (form.plinthfile) {
            console.out().print(PlinthfileWriter.text(p));
        } else if (form.json) {
            Json.write(console.out(), json(p));
        } else if (form.lineage) {
            console.out().print(Lineage.text(p.name().toString(), p.digest(), p.lineage()));
        } else {
            text(p).forEach(console.out()::println);
        }
        return Main.OK;
    }

    private static List<String> text(Product p) throws IOException {
        Profile profile = p.profile();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"name", p.name().toString()});
        rows.add(new String[] {"digest", p.digest().toString()});
        rows.add(new String[] {"base", p.baseLabel()});
        rows.add(new String[] {"architecture", p.config().path("architecture").asText()});
        rows.add(new String[] {"size", TextFormat.bytes(p.size())});
        for (Product.Adapter a : p.adapters()) {
            rows.add(new String[] {"adapter " + a.index(), a.format() + ", scale " + a.scale() + ", " + String.join(" ", a.files().keySet())});
        }
        rows.add(new String[] {"template", template(profile)});
        if (profile.system() != null) {
            rows.add(new String[] {"system", cut(profile.system())});
        }
        for (ChatMessage m : profile.messages()) {
            rows.add(new String[] {"message", m.role() + ": " + cut(m.content())});
        }
        profile.parameters().entries().forEach(e -> rows.add(new String[] {"parameter", e.getKey().key() + " "
                + (e.getKey() == dev.plinth.product.Parameters.Key.STOP ? cut(e.getValue()) : e.getValue())}));
        for (String license : p.licenses()) {
            rows.add(new String[] {"license", cut(license)});
        }
        p.description().ifPresent(d -> rows.add(new String[] {"description", cut(d)}));
        List<String> lines = new ArrayList<>(TextFormat.table(rows));
        lines.add("");
        List<String[]> layers = new ArrayList<>();
        layers.add(new String[] {"layer", "digest", "size"});
        layers.add(new String[] {"config", p.manifest().config().digest().shortHex(), TextFormat.bytes(p.manifest().config().size())});
        for (Descriptor d : p.manifest().layers()) {
            String type = LayerType.of(d.mediaType()).map(LayerType::label).orElse(d.mediaType());
            layers.add(new String[] {type, d.digest().shortHex(), TextFormat.bytes(d.size())});
        }
        lines.addAll(TextFormat.table(layers, false, false, true));
        return lines;
    }

    private static String template(Profile profile) {
        if (profile.jinjaTemplate().isPresent()) {
            return "its own (Jinja, " + profile.template().length() + " characters), replacing the base's";
        }
        if (profile.template() != null) {
            return "an Ollama Go template, kept as text; the product runs with the GGUF's tokenizer.chat_template";
        }
        return "the base's (the GGUF's tokenizer.chat_template; ChatML when it has none)";
    }

    private static String cut(String s) {
        return TextFormat.quoted(s, CUT);
    }

    private static Map<String, Object> json(Product p) throws IOException {
        Profile profile = p.profile();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("name", p.name().toString());
        doc.put("digest", p.digest().toString());
        doc.put("manifest", new ObjectMapper().readTree(p.store().manifestBytes(p.name()).orElseThrow()));
        Map<String, Object> prof = new LinkedHashMap<>();
        prof.put("system", profile.system());
        prof.put("messages", profile.messages());
        prof.put("template", profile.template());
        prof.put("templateSyntax", profile.template() == null ? null : profile.templateSyntax());
        prof.put("parameters", profile.parameters().toJson());
        doc.put("profile", prof);
        doc.put("licenses", p.licenses());
        doc.put("description", p.description().orElse(null));
        doc.put("lineage", p.lineage());
        return doc;
    }
}

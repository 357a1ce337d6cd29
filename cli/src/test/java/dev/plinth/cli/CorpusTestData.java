package dev.plinth.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Small generated corpora for the tokenizer and corpus command tests: seeded, so runs repeat exactly. */
final class CorpusTestData {

    private static final String[] WORDS = {
        "the", "a", "river", "stone", "light", "under", "over", "quietly", "bright", "garden", "walked", "found",
        "north", "winter", "letters", "and", "of", "to", "in", "with", "old", "small", "house", "window",
        "sang", "morning", "evening", "bridge", "forest", "café", "naïve", "Zürich", "東京", "données", "señor"
    };

    private CorpusTestData() {
    }

    /** A sentence of 6 to 17 words from a fixed list, some of them non-ASCII. */
    static String sentence(SplittableRandom rnd) {
        int n = 6 + rnd.nextInt(12);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String w = WORDS[rnd.nextInt(WORDS.length)];
            sb.append(i == 0 ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : " " + w);
        }
        return sb.append('.').toString();
    }

    /** A paragraph of a few sentences. */
    static String paragraph(SplittableRandom rnd) {
        StringBuilder sb = new StringBuilder();
        int n = 2 + rnd.nextInt(4);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(sentence(rnd));
        }
        return sb.toString();
    }

    /** A folder of {@code files} text files, each of {@code paragraphs} paragraphs. */
    static Path prose(Path dir, long seed, int files, int paragraphs) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        Files.createDirectories(dir);
        for (int f = 0; f < files; f++) {
            StringBuilder sb = new StringBuilder();
            for (int p = 0; p < paragraphs; p++) {
                sb.append(paragraph(rnd)).append("\n\n");
            }
            Files.writeString(dir.resolve(String.format("story-%03d.txt", f)), sb.toString(), StandardCharsets.UTF_8);
        }
        return dir;
    }

    /** JSON Lines of {@code lines} documents in field {@code field}, plus a line without it. */
    static Path jsonl(Path file, long seed, int lines, String field) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines; i++) {
            out.add("{\"" + field + "\": \"" + paragraph(rnd) + "\", \"n\": " + i + "}");
        }
        out.add("{\"other\": \"not read\"}");
        Files.write(file, out, StandardCharsets.UTF_8);
        return file;
    }

    /** A jar of {@code classes} small Java sources plus a class file that must not be read. */
    static Path codeJar(Path file, long seed, int classes) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(file))) {
            for (int i = 0; i < classes; i++) {
                z.putNextEntry(new ZipEntry("org/example/C" + i + ".java"));
                StringBuilder sb = new StringBuilder("package org.example;\n\n/** " + sentence(rnd) + " */\npublic final class C" + i + " {\n");
                int methods = 1 + rnd.nextInt(4);
                for (int m = 0; m < methods; m++) {
                    sb.append("    static int m").append(m).append("(int x) {\n        return x * ").append(rnd.nextInt(1000))
                            .append(" + ").append(rnd.nextInt(97)).append(";\n    }\n");
                }
                z.write(sb.append("}\n").toString().getBytes(StandardCharsets.UTF_8));
            }
            z.putNextEntry(new ZipEntry("org/example/C0.class"));
            z.write(new byte[] {(byte) 0xca, (byte) 0xfe, (byte) 0xba, (byte) 0xbe, 0, 0});
        }
        return file;
    }
}

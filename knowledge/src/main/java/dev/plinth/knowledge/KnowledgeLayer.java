package dev.plinth.knowledge;

import dev.plinth.io.AtomicFiles;
import dev.plinth.product.Descriptor;
import dev.plinth.product.KnowledgePacker;
import dev.plinth.product.Product;
import dev.plinth.product.ProductException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.Lock;
import org.apache.lucene.store.LockObtainFailedException;

/**
 * A knowledge base as a product's layer. Packing writes the files of the index's last commit as a
 * reproducible tar ({@link Tar}: names sorted, times and owners zero), so the layer's digest names
 * exactly the index the product was built with; the settings (embedder and its digest, chunking)
 * travel inside, in the commit. Opening a product's layer extracts its blob, verified against its
 * digest, once into {@code PLINTH_HOME/knowledge/.layers/sha256-<hex>/}.
 */
public final class KnowledgeLayer implements KnowledgePacker {
    static final String LAYERS = ".layers";
    private static final String MARKER = "layer.digest";

    private final Path home;

    /** Packs the knowledge bases of {@code home} (PLINTH_HOME). */
    public KnowledgeLayer(Path home) {
        this.home = home;
    }

    @Override
    public Packed pack(String name, Path folder) throws IOException {
        Path kbFolder;
        try {
            kbFolder = KnowledgeBase.folder(home, name);
        } catch (IllegalArgumentException e) {
            throw new ProductException(e.getMessage());
        }
        if (!KnowledgeBase.exists(kbFolder)) {
            throw new ProductException("no knowledge base '" + name + "' in " + KnowledgeBase.root(home)
                    + " (plinth knowledge create makes one)");
        }
        Path tar = folder.resolve("knowledge.tar");
        // the index's own write lock: no ingest may commit (and delete these files) while they are copied
        try (Directory d = FSDirectory.open(kbFolder.resolve(KnowledgeBase.INDEX)); Lock ignored = writeLock(d, name);
             KnowledgeBase kb = KnowledgeBase.open(kbFolder); OutputStream out = Files.newOutputStream(tar)) {
            Tar.write(kb.indexFolder(), kb.committedFiles(), out);
            return new Packed(tar, details(kb));
        }
    }

    private static Lock writeLock(Directory d, String name) throws IOException {
        try {
            return d.obtainLock(IndexWriter.WRITE_LOCK_NAME);
        } catch (LockObtainFailedException e) {
            throw new ProductException("knowledge base '" + name + "' is being changed by another process; try again after it");
        }
    }

    private static Map<String, Object> details(KnowledgeBase kb) throws IOException {
        KnowledgeSettings s = kb.settings();
        List<SourceFile> files = kb.files();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("embedder", s.embedder());
        details.put("embedder.digest", s.embedderDigest());
        details.put("chunking", s.chunkTokens() + " tokens, overlap " + s.overlap());
        details.put("files", files.size());
        details.put("documents", files.stream().mapToInt(SourceFile::documents).sum());
        details.put("chunks", kb.chunks());
        return details;
    }

    /** The knowledge base of {@code product}'s knowledge layer, read-only; extracted under {@code home} on first use. */
    public static KnowledgeBase open(Product product, Path home) throws IOException {
        Descriptor d = product.knowledge().orElseThrow(() -> new ProductException(product.name() + " has no knowledge"));
        Path target = KnowledgeBase.root(home).resolve(LAYERS).resolve(d.digest().fileName());
        if (!Files.isRegularFile(target.resolve(MARKER))) {
            Path blob = product.knowledgeFile();
            AtomicFiles.writeFolder(target, MARKER, staging -> {
                Tar.extract(blob, Files.createDirectory(staging.resolve(KnowledgeBase.INDEX)));
                Files.writeString(staging.resolve(MARKER), d.digest().toString());
            });
        }
        return KnowledgeBase.open(target);
    }
}

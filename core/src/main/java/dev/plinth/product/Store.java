package dev.plinth.product;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.io.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The content-addressed product store under {@code PLINTH_HOME} (default {@code ~/.plinth}):
 * <pre>
 * PLINTH_HOME/
 *   .lock                    locked by every write (create, import, cp, rm, prune)
 *   blobs/sha256-&lt;hex&gt;       immutable blobs named by the SHA-256 of their content
 *   manifests/&lt;name&gt;/&lt;tag&gt;   one JSON manifest per product ({@link Manifest})
 * </pre>
 * Blobs are written to a temporary name, hashed as they are written (or, when hard-linked, right
 * after linking), forced to disk and renamed to their digest, so a blob's name always names its
 * content; a blob already present is not written again (products on one base share its weights).
 * A manifest is written last and atomically, after every blob it references: a write killed midway
 * leaves no manifest, only unreferenced blobs that {@link #prune} removes.
 */
public final class Store {

    /** The environment variable naming the store's folder. */
    public static final String HOME_VARIABLE = "PLINTH_HOME";

    /** How {@link #putFile} places a file's content in the store. */
    enum Placement {
        /** A copy, hashed as it is written. */
        COPY,
        /** A hard link when the file system allows one (no copy), else a copy. */
        LINK_OR_COPY,
        /** A hard link, else (another file system) a symbolic link to the file, which stays where it is. */
        LINK_OR_REFERENCE,
        /** A symbolic link to the file, which stays where it is (as LINK_OR_REFERENCE does across file systems). */
        REFERENCE,
        /** The file itself, made in a scratch folder of this store ({@link #newScratch}), renamed into place. */
        MOVE
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;
    private final Path blobs;
    private final Path manifests;

    private Store(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.blobs = this.root.resolve("blobs");
        this.manifests = this.root.resolve("manifests");
    }

    /** The store in {@code root} (created on the first write). */
    public static Store open(Path root) {
        return new Store(root);
    }

    /** {@code PLINTH_HOME} from {@code environment}, else {@code ~/.plinth}. */
    public static Path defaultRoot(Map<String, String> environment) {
        String home = environment.get(HOME_VARIABLE);
        if (home != null && !home.isBlank()) {
            return Path.of(home);
        }
        return Path.of(System.getProperty("user.home"), ".plinth");
    }

    public Path root() {
        return root;
    }

    StoreLock writeLock() throws IOException {
        return StoreLock.acquire(root);
    }

    // ---- blobs ----

    /** Where the blob of {@code digest} lives (whether or not it is there). */
    public Path blobPath(Digest digest) {
        return blobs.resolve(digest.fileName());
    }

    /** Stores {@code bytes} as a blob (once) and describes it as a layer of {@code mediaType}. */
    Descriptor putBytes(String mediaType, byte[] bytes) throws IOException {
        Digest digest = Digest.of(bytes);
        Path target = blobPath(digest);
        if (!isPresent(target, bytes.length)) {
            AtomicFiles.write(target, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(bytes)));
            makeReadOnly(target);
        }
        return new Descriptor(mediaType, digest, bytes.length);
    }

    /** {@link #putFile(String, Path, Placement, Digest)} without an expected digest. */
    Descriptor putFile(String mediaType, Path file, Placement placement) throws IOException {
        return putFile(mediaType, file, placement, null);
    }

    /**
     * Stores a file's content as a blob (once) and describes it as a layer of {@code mediaType}. When
     * {@code expected} is not null, content that hashes otherwise is refused with a
     * {@link CorruptBlobException} and nothing is stored.
     */
    Descriptor putFile(String mediaType, Path file, Placement placement, Digest expected) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        Files.createDirectories(blobs);
        if (placement == Placement.REFERENCE) {
            return reference(mediaType, file, expected);
        }
        Path scratch = placement == Placement.MOVE ? file : newScratchFile();
        try {
            Digest digest = switch (placement) {
                case COPY -> copyHashing(file, scratch);
                case MOVE -> Digest.ofFile(scratch);
                case LINK_OR_COPY, LINK_OR_REFERENCE -> tryLink(file, scratch) ? Digest.ofFile(scratch) : null;
                case REFERENCE -> throw new IllegalStateException("handled above");
            };
            if (digest == null && placement == Placement.LINK_OR_REFERENCE) {
                return reference(mediaType, file, expected);
            }
            if (digest == null) {
                digest = copyHashing(file, scratch);
            }
            requireExpected(expected, digest, file);
            long size = Files.size(scratch);
            install(scratch, digest, size, placement != Placement.LINK_OR_COPY && placement != Placement.LINK_OR_REFERENCE);
            return new Descriptor(mediaType, digest, size);
        } finally {
            Files.deleteIfExists(scratch);
        }
    }

    /**
     * A fresh scratch folder in the blobs folder, for files made to be stored (on the same file
     * system, so that {@link Placement#MOVE} renames them into place); closing it deletes what is
     * left, and {@link #prune} removes any a killed process left behind.
     */
    Scratch newScratch() throws IOException {
        Files.createDirectories(blobs);
        return new Scratch(Files.createDirectory(blobs.resolve(".scratch-" + Long.toUnsignedString(RANDOM.nextLong(), 36))));
    }

    /** A scratch folder of {@link #newScratch}. */
    static final class Scratch implements AutoCloseable {
        private final Path folder;

        private Scratch(Path folder) {
            this.folder = folder;
        }

        /** A path named {@code name} in the scratch folder (not created). */
        Path file(String name) {
            return folder.resolve(name);
        }

        @Override
        public void close() throws IOException {
            AtomicFiles.deleteTree(folder);
        }
    }

    private Path newScratchFile() throws IOException {
        Files.createDirectories(blobs);
        Path p = blobs.resolve(".part-" + Long.toUnsignedString(RANDOM.nextLong(), 36));
        Files.createFile(p);
        return p;
    }

    private static Digest copyHashing(Path from, Path to) throws IOException {
        MessageDigest md = Digest.sha256();
        try (InputStream in = Files.newInputStream(from);
             FileChannel ch = FileChannel.open(to, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
             OutputStream out = new DigestOutputStream(Channels.newOutputStream(ch), md)) {
            in.transferTo(out);
            out.flush();
            ch.force(true);
        }
        return new Digest(HexFormat.of().formatHex(md.digest()));
    }

    private static boolean tryLink(Path file, Path scratch) throws IOException {
        Files.delete(scratch);
        try {
            Files.createLink(scratch, file);
            return true;
        } catch (FileSystemException | UnsupportedOperationException e) {
            Files.createFile(scratch);
            return false;
        }
    }

    /** A symbolic link named by the digest to a file on another file system, hashed through the link. */
    private Descriptor reference(String mediaType, Path file, Digest expected) throws IOException {
        Digest digest = Digest.ofFile(file);
        requireExpected(expected, digest, file);
        Path target = blobPath(digest);
        long size = Files.size(file);
        if (!isPresent(target, size)) {
            Path link = blobs.resolve(".link-" + Long.toUnsignedString(RANDOM.nextLong(), 36));
            try {
                Files.createSymbolicLink(link, file.toAbsolutePath());
                rename(link, target);
            } finally {
                Files.deleteIfExists(link);
            }
        }
        return new Descriptor(mediaType, digest, size);
    }

    private static void requireExpected(Digest expected, Digest actual, Path file) {
        if (expected != null && !expected.equals(actual)) {
            throw CorruptBlobException.mismatch(expected, file, actual);
        }
    }

    /** Renames a hashed scratch file to its digest's name, unless that blob is already there. */
    private void install(Path scratch, Digest digest, long size, boolean readOnly) throws IOException {
        Path target = blobPath(digest);
        if (isPresent(target, size)) {
            return;
        }
        if (readOnly) {
            makeReadOnly(scratch);
        }
        rename(scratch, target);
    }

    private void rename(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel dir = FileChannel.open(blobs, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: not every platform opens a folder
        }
    }

    private static boolean isPresent(Path blob, long size) throws IOException {
        return Files.isRegularFile(blob) && Files.size(blob) == size;
    }

    private static void makeReadOnly(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system: the blob stays writable
        }
    }

    /**
     * Checks that the blob a descriptor names is there, has its size and hashes to its digest (a
     * read of the whole blob).
     *
     * @throws CorruptBlobException naming the digest and the file otherwise
     */
    public void verify(Descriptor d) throws IOException {
        Path file = blobPath(d.digest());
        if (Files.isSymbolicLink(file) && !Files.exists(file)) {
            throw new CorruptBlobException(d.digest(), file, "is a reference to " + Files.readSymbolicLink(file) + ", which is gone");
        }
        if (!Files.isRegularFile(file)) {
            throw new CorruptBlobException(d.digest(), file, "is missing");
        }
        long size = Files.size(file);
        if (size != d.size()) {
            throw new CorruptBlobException(d.digest(), file, "has " + size + " bytes where its manifest says " + d.size());
        }
        Digest actual = Digest.ofFile(file);
        if (!actual.equals(d.digest())) {
            throw CorruptBlobException.mismatch(d.digest(), file, actual);
        }
    }

    /**
     * Copies a blob to {@code target} (atomically), hashing it on the way: a blob that does not match
     * its digest is a {@link CorruptBlobException} and {@code target} is not written.
     */
    void copyBlob(Descriptor d, Path target) throws IOException {
        Path file = blobPath(d.digest());
        if (!Files.isRegularFile(file)) {
            throw new CorruptBlobException(d.digest(), file, "is missing");
        }
        MessageDigest md = Digest.sha256();
        AtomicFiles.write(target, ch -> {
            try (InputStream in = Files.newInputStream(file)) {
                OutputStream out = new DigestOutputStream(Channels.newOutputStream(ch), md); // not closed: AtomicFiles forces ch after this
                in.transferTo(out);
                Digest actual = new Digest(HexFormat.of().formatHex(md.digest()));
                if (!actual.equals(d.digest())) {
                    throw CorruptBlobException.mismatch(d.digest(), file, actual);
                }
            }
        });
    }

    /** A small blob's bytes, verified against its digest. */
    public byte[] readBlob(Descriptor d) throws IOException {
        Path file = blobPath(d.digest());
        if (!Files.isRegularFile(file)) {
            throw new CorruptBlobException(d.digest(), file, "is missing");
        }
        byte[] bytes = Files.readAllBytes(file);
        Digest actual = Digest.of(bytes);
        if (!actual.equals(d.digest())) {
            throw CorruptBlobException.mismatch(d.digest(), file, actual);
        }
        return bytes;
    }

    /** The digests of the blobs in the store (by file name; temporary files aside). */
    public List<Digest> blobDigests() throws IOException {
        if (!Files.isDirectory(blobs)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(blobs)) {
            return s.map(p -> Digest.ofFileName(p.getFileName().toString())).filter(d -> d != null)
                    .sorted(Comparator.comparing(Digest::hex)).toList();
        }
    }

    // ---- manifests ----

    /** Writes a product's manifest (atomically; last, after its blobs, which must all be present). */
    void putManifest(ProductName name, byte[] manifest) throws IOException {
        Manifest parsed = Manifest.parse(manifest, name.toString());
        for (Descriptor d : parsed.blobs()) {
            if (!Files.exists(blobPath(d.digest()))) {
                throw new CorruptBlobException(d.digest(), blobPath(d.digest()), "is missing, so manifest " + name + " is not written");
            }
        }
        Path file = manifestFile(name);
        if (Files.isDirectory(file)) {
            throw new ProductException(name + " clashes with the products named " + name.name() + "/" + name.tag()
                    + ":*; choose another name or tag");
        }
        try (StoreLock ignored = writeLock()) {
            AtomicFiles.write(file, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(manifest)));
        }
    }

    private Path manifestFile(ProductName name) {
        return name.manifestPath(manifests);
    }

    /** The manifest bytes of {@code name}, if the store holds it. */
    public Optional<byte[]> manifestBytes(ProductName name) throws IOException {
        Path file = manifestFile(name);
        return Files.isRegularFile(file) ? Optional.of(Files.readAllBytes(file)) : Optional.empty();
    }

    public boolean contains(ProductName name) {
        return Files.isRegularFile(manifestFile(name));
    }

    /** The product {@code name} holds. */
    public Product product(ProductName name) throws IOException {
        byte[] bytes = manifestBytes(name).orElseThrow(() -> new NoSuchProductException(name));
        return new Product(this, name, Digest.of(bytes), Manifest.parse(bytes, manifestFile(name).toString()));
    }

    /** Every product name in the store, sorted. */
    public List<ProductName> names() throws IOException {
        if (!Files.isDirectory(manifests)) {
            return List.of();
        }
        List<ProductName> names = new ArrayList<>();
        try (Stream<Path> s = Files.walk(manifests, 3)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p) && !p.getFileName().toString().startsWith(".")) {
                    nameOf(manifests.relativize(p)).ifPresent(names::add);
                }
            }
        }
        names.sort(Comparator.comparing(ProductName::toString));
        return names;
    }

    private static Optional<ProductName> nameOf(Path relative) {
        int n = relative.getNameCount();
        if (n < 2 || n > 3) {
            return Optional.empty();
        }
        String name = relative.subpath(0, n - 1).toString().replace('\\', '/');
        String tag = relative.getFileName().toString();
        try {
            return Optional.of(new ProductName(name, tag));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** One row of {@code plinth list}. */
    public record Listing(ProductName name, Digest digest, long size, FileTime modified, String base) {
    }

    /** Every product with its digest, total blob size, manifest time and base. */
    public List<Listing> list() throws IOException {
        List<Listing> rows = new ArrayList<>();
        for (ProductName name : names()) {
            Product p = product(name);
            rows.add(new Listing(name, p.digest(), p.size(), Files.getLastModifiedTime(manifestFile(name)), p.baseLabel()));
        }
        return rows;
    }

    /** Removes a product's manifest (its blobs stay until {@link #prune}); false when there was none. */
    public boolean remove(ProductName name) throws IOException {
        try (StoreLock ignored = writeLock()) {
            Path file = manifestFile(name);
            if (!Files.isRegularFile(file)) {
                return false;
            }
            Files.delete(file);
            for (Path dir = file.getParent(); !dir.equals(manifests) && isEmptyFolder(dir); dir = dir.getParent()) {
                Files.delete(dir);
            }
            return true;
        }
    }

    private static boolean isEmptyFolder(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    /** Gives {@code source}'s manifest a second name (the same bytes, so the same digest). */
    public void copy(ProductName source, ProductName target) throws IOException {
        try (StoreLock ignored = writeLock()) {
            byte[] bytes = manifestBytes(source).orElseThrow(() -> new NoSuchProductException(source));
            putManifest(target, bytes);
        }
    }

    /** A blob file removed by {@link #prune}, with the bytes it held. */
    public record Removed(String file, long bytes) {
    }

    /**
     * Removes every blob no manifest references, and scratch files left by writes that did not
     * finish; returns what went. A manifest that cannot be read stops it before anything is removed.
     */
    public List<Removed> prune() throws IOException {
        try (StoreLock ignored = writeLock()) {
            Set<Digest> referenced = new HashSet<>();
            for (ProductName name : names()) {
                product(name).manifest().blobs().forEach(d -> referenced.add(d.digest()));
            }
            List<Removed> removed = new ArrayList<>();
            if (!Files.isDirectory(blobs)) {
                return removed;
            }
            try (Stream<Path> s = Files.list(blobs)) {
                for (Path p : s.sorted().toList()) {
                    String file = p.getFileName().toString();
                    Digest d = Digest.ofFileName(file);
                    if (d == null ? file.startsWith(".") : !referenced.contains(d)) {
                        long bytes = Files.isSymbolicLink(p) ? 0 : treeSize(p);
                        AtomicFiles.deleteTree(p);
                        removed.add(new Removed(file, bytes));
                    }
                }
            }
            return removed;
        }
    }

    private static long treeSize(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            long total = 0;
            for (Path p : s.toList()) {
                total += Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isRegularFile() ? Files.size(p) : 0;
            }
            return total;
        }
    }

    /** A problem {@link #verifyAll} found: a corrupt or missing blob, or a manifest that cannot be read. */
    public record Problem(String where, String what) {
    }

    /**
     * Checks every blob in the store against its digest and every manifest's references; returns the
     * problems (none for a sound store) and counts what was checked in {@code checked}.
     */
    public List<Problem> verifyAll(Map<String, Long> checked) throws IOException {
        List<Problem> problems = new ArrayList<>();
        Map<Digest, Descriptor> referenced = new LinkedHashMap<>();
        long manifestsChecked = 0;
        for (ProductName name : names()) {
            try {
                product(name).manifest().blobs().forEach(d -> referenced.putIfAbsent(d.digest(), d));
                manifestsChecked++;
            } catch (ProductException e) {
                problems.add(new Problem(name.toString(), e.getMessage()));
            }
        }
        long blobsChecked = 0;
        for (Digest d : blobDigests()) {
            Descriptor known = referenced.get(d);
            problems.addAll(check(known != null ? known : new Descriptor("", d, sizeOrZero(blobPath(d)))));
            blobsChecked++;
        }
        for (Descriptor d : referenced.values()) {
            if (!Files.exists(blobPath(d.digest()), LinkOption.NOFOLLOW_LINKS)) {
                problems.addAll(check(d));
            }
        }
        checked.put("manifests", manifestsChecked);
        checked.put("blobs", blobsChecked);
        return problems;
    }

    /** The problems of one product's blobs (none when all verify). */
    public List<Problem> verify(ProductName name) throws IOException {
        List<Problem> problems = new ArrayList<>();
        Set<Digest> seen = new HashSet<>();
        for (Descriptor d : product(name).manifest().blobs()) {
            if (seen.add(d.digest())) {
                problems.addAll(check(d));
            }
        }
        return problems;
    }

    private static long sizeOrZero(Path file) throws IOException {
        return Files.exists(file) ? Files.size(file) : 0;
    }

    private List<Problem> check(Descriptor d) throws IOException {
        try {
            verify(d);
            return List.of();
        } catch (CorruptBlobException e) {
            return List.of(new Problem(d.digest().toString(), e.getMessage()));
        }
    }

    /** The JSON of a small blob (config, params, messages, lineage). */
    JsonNode readJson(Descriptor d) throws IOException {
        return JSON.readTree(readBlob(d));
    }
}

package dev.plinth.product.audit;

import dev.plinth.product.Digest;
import dev.plinth.product.LineageNode;
import dev.plinth.product.Product;
import dev.plinth.product.ProductName;
import dev.plinth.product.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lineage tree below a root, through the store: the root (a product, or a GGUF base file) and
 * every product whose lineage descends from it. A product's parent is the product its lineage's
 * {@code from: product} node names by digest ({@link Product#lineageDigest}, so an audit layer does
 * not cut a product off); a product made FROM a file hangs below that file. A product whose parent
 * is gone from the store hangs below the nearest ancestor its recorded lineage names that is still
 * there. Names that share one manifest are one node.
 */
public final class AuditTree {

    /** One node: a product, or the root GGUF file. */
    public static final class Node {
        private final Product product;
        private final Path file;
        private final String label;
        private final Node parent;
        private final List<Node> children = new ArrayList<>();

        private Node(Product product, Path file, String label, Node parent) {
            this.product = product;
            this.file = file;
            this.label = label;
            this.parent = parent;
        }

        /** The product, or null for a file root. */
        public Product product() {
            return product;
        }

        /** The GGUF file of a file root, else null. */
        public Path file() {
            return file;
        }

        /** {@code name:tag} (with other names of the same manifest), or the file's name. */
        public String label() {
            return label;
        }

        public Node parent() {
            return parent;
        }

        public List<Node> children() {
            return Collections.unmodifiableList(children);
        }

        public int depth() {
            return parent == null ? 0 : parent.depth() + 1;
        }
    }

    private final Node root;
    private final List<Node> nodes;

    private AuditTree(Node root) {
        this.root = root;
        List<Node> order = new ArrayList<>();
        Deque<Node> queue = new ArrayDeque<>(List.of(root));
        while (!queue.isEmpty()) {
            Node n = queue.poll();
            order.add(n);
            queue.addAll(n.children);
        }
        this.nodes = List.copyOf(order);
    }

    public Node root() {
        return root;
    }

    /** Every node, parents before children (breadth first, children by name). */
    public List<Node> nodes() {
        return nodes;
    }

    /** A tree of {@code product} alone, or below {@code parent} (a product create is checking against its parent). */
    static AuditTree of(Product product, Product parent) {
        Node top = parent == null ? null : new Node(parent, null, parent.name().toString(), null);
        Node node = new Node(product, null, product.name().toString(), top);
        if (top != null) {
            top.children.add(node);
        }
        return new AuditTree(top != null ? top : node);
    }

    /**
     * The tree below {@code root}: a product of {@code store} ({@code name[:tag]}), else a GGUF file.
     *
     * @throws IllegalArgumentException when it is neither
     */
    public static AuditTree of(Store store, String root) throws IOException {
        Map<Digest, List<ProductName>> byDigest = new LinkedHashMap<>();
        Map<Digest, Product> products = new LinkedHashMap<>();
        for (ProductName name : store.names()) {
            Product p = store.product(name);
            byDigest.computeIfAbsent(p.digest(), d -> new ArrayList<>()).add(name);
            products.putIfAbsent(p.digest(), p);
        }
        Node top;
        Digest fileDigest = null;
        if (ProductName.isValid(root) && store.contains(ProductName.parse(root))) {
            Product p = store.product(ProductName.parse(root));
            top = new Node(p, null, label(byDigest.get(p.digest())), null);
        } else if (Files.isRegularFile(Path.of(root))) {
            fileDigest = Digest.ofFile(Path.of(root));
            top = new Node(null, Path.of(root), Path.of(root).getFileName().toString(), null);
        } else {
            throw new IllegalArgumentException("no product or file " + root + " (a product of the store, or a GGUF base file)");
        }
        Map<Digest, Product> byLineage = new LinkedHashMap<>();
        products.values().forEach(p -> byLineage.put(p.lineageDigest(), p));
        Map<Digest, Node> placed = new LinkedHashMap<>();
        if (top.product != null) {
            placed.put(top.product.digest(), top);
        }
        boolean grew = true;
        while (grew) {
            grew = false;
            List<Product> pending = products.values().stream().filter(p -> !placed.containsKey(p.digest()))
                    .sorted(Comparator.comparing(p -> byDigest.get(p.digest()).getFirst().toString())).toList();
            for (Product p : pending) {
                Node parent = parentNode(p, top, fileDigest, byLineage, products, placed);
                if (parent != null) {
                    Node n = new Node(p, null, label(byDigest.get(p.digest())), parent);
                    parent.children.add(n);
                    placed.put(p.digest(), n);
                    grew = true;
                }
            }
        }
        return new AuditTree(top);
    }

    /** Where {@code p} hangs: below the nearest ancestor its lineage names that is placed, or the file root; null if not (yet) below the root. */
    private static Node parentNode(Product p, Node top, Digest fileDigest, Map<Digest, Product> byLineage,
                                   Map<Digest, Product> products, Map<Digest, Node> placed) throws IOException {
        List<LineageNode> chain = p.lineage();
        LineageNode n = chain.isEmpty() ? null : chain.getFirst();
        while (n != null && n.role().equals("from") && n.kind().equals("product")) {
            Product parent = n.digest() == null ? null : find(Digest.parse(n.digest()), byLineage, products);
            if (parent != null) {
                return placed.get(parent.digest()); // null until the parent itself is placed
            }
            n = n.parents().isEmpty() ? null : n.parents().getFirst();
        }
        if (n != null && fileDigest != null && n.role().equals("base") && n.digest() != null
                && Digest.parse(n.digest()).equals(fileDigest)) {
            return top;
        }
        return null;
    }

    private static Product find(Digest d, Map<Digest, Product> byLineage, Map<Digest, Product> products) {
        Product p = byLineage.get(d);
        return p != null ? p : products.get(d);
    }

    private static String label(List<ProductName> names) {
        String first = names.getFirst().toString();
        return names.size() == 1 ? first : first + " (= " + String.join(", ", names.subList(1, names.size()).stream()
                .map(ProductName::toString).toList()) + ")";
    }
}

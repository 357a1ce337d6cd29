package dev.plinth.product;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A product's lineage: the tree of everything it stands on, each node named by digest. Stored as the
 * manifest's {@code lineage} layer, {@code {"schemaVersion": 1, "parents": [node, ...]}} with the
 * nodes of {@link LineageNode}; printed as a text tree ({@link #text}) or drawn as SVG ({@link #svg}).
 */
public final class Lineage {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final int DETAIL_CHARS = 72;

    private Lineage() {
    }

    /** The lineage layer's bytes for these parents. */
    public static byte[] toBytes(List<LineageNode> parents) {
        ObjectNode root = JSON.createObjectNode();
        root.put("schemaVersion", 1);
        root.set("parents", JSON.valueToTree(parents));
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The parents a lineage layer holds; {@code source} names it in errors. */
    public static List<LineageNode> parse(byte[] bytes, String source) {
        try {
            JsonNode root = JSON.readTree(bytes);
            return JSON.convertValue(root.path("parents"), new TypeReference<List<LineageNode>>() { });
        } catch (IOException | IllegalArgumentException e) {
            throw new ProductException(source + ": unreadable lineage layer (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The tree as text, the product on the first line and each parent below its child:
     * <pre>
     * tutor:latest  sha256:0d7a5c1e9b2f
     * └── base: gguf stories260K.gguf  sha256:4c8e2b0a1d3f
     *       general.name = stories260K
     * </pre>
     */
    public static String text(String product, Digest digest, List<LineageNode> parents) {
        StringBuilder sb = new StringBuilder(product).append("  ").append(shortDigest(digest.toString())).append('\n');
        appendChildren(sb, parents, "");
        return sb.toString();
    }

    private static void appendChildren(StringBuilder sb, List<LineageNode> nodes, String indent) {
        for (int i = 0; i < nodes.size(); i++) {
            boolean last = i == nodes.size() - 1;
            LineageNode n = nodes.get(i);
            sb.append(indent).append(last ? "└── " : "├── ").append(label(n)).append('\n');
            String childIndent = indent + (last ? "    " : "│   ");
            for (Map.Entry<String, Object> d : n.details().entrySet()) {
                sb.append(childIndent).append(n.parents().isEmpty() ? "  " : "│ ").append(d.getKey()).append(" = ")
                        .append(cut(String.valueOf(d.getValue()))).append('\n');
            }
            appendChildren(sb, n.parents(), childIndent);
        }
    }

    /** {@code role: kind what  sha256:<12 hex>}. */
    static String label(LineageNode n) {
        StringBuilder sb = new StringBuilder(n.role()).append(": ").append(n.kind());
        String what = what(n);
        if (!what.isEmpty()) {
            sb.append(' ').append(what);
        }
        sb.append("  ").append(n.digest() != null ? shortDigest(n.digest()) : "(digest unknown)");
        return sb.toString();
    }

    /** What a node is called: its name, else its file's name, else the GGUF's {@code general.name}, else nothing. */
    private static String what(LineageNode n) {
        if (n.name() != null) {
            return n.name();
        }
        if (n.source() != null) {
            return fileName(n.source());
        }
        Object generalName = n.details().get("general.name");
        return generalName != null ? generalName.toString() : "";
    }

    private static String fileName(String source) {
        Path p = Path.of(source).getFileName();
        return p == null ? source : p.toString();
    }

    private static String shortDigest(String digest) {
        return digest.startsWith("sha256:") && digest.length() > 19 ? digest.substring(0, 19) : digest;
    }

    private static String cut(String s) {
        String one = s.replace("\n", "\\n");
        return one.length() <= DETAIL_CHARS ? one : one.substring(0, DETAIL_CHARS - 1) + "…";
    }

    // ---- SVG ----

    private static final int BOX_W = 300;
    private static final int BOX_H = 58;
    private static final int GAP_X = 60;
    private static final int GAP_Y = 18;
    private static final int MARGIN = 20;

    /**
     * The tree drawn as a self-contained SVG: the product at the left, each parent a box to the right
     * of its child (role and kind, name or file, digest), lines between them.
     */
    public static String svg(String product, Digest digest, List<LineageNode> parents) {
        LineageNode root = new LineageNode("product", "", product, digest.toString(), null, Map.of(), parents);
        List<Placed> boxes = new ArrayList<>();
        int rows = place(root, 0, 0, boxes);
        int depth = boxes.stream().mapToInt(Placed::depth).max().orElse(0) + 1;
        int width = 2 * MARGIN + depth * BOX_W + (depth - 1) * GAP_X;
        int height = 2 * MARGIN + rows * BOX_H + (rows - 1) * GAP_Y;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width, height));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        for (Placed b : boxes) {
            if (b.left() != null) {
                sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#888\"/>%n",
                        x(b.left().depth()) + BOX_W, centre(b.left()), x(b.depth()), centre(b)));
            }
        }
        for (Placed b : boxes) {
            box(sb, b);
        }
        return sb.append("</svg>\n").toString();
    }

    /** A box: its node, column (depth) and row, and the box it hangs from (its child in the lineage, drawn to its left). */
    private record Placed(LineageNode node, int depth, double row, Placed left) {
    }

    /** Places a subtree from row {@code firstRow}; returns the rows it spans (a leaf takes one, a node sits between its first and last parent). */
    private static int place(LineageNode node, int depth, int firstRow, List<Placed> boxes) {
        int index = boxes.size();
        boxes.add(null);
        int rows = 0;
        List<Integer> parentIndexes = new ArrayList<>();
        for (LineageNode p : node.parents()) {
            parentIndexes.add(boxes.size());
            rows += place(p, depth + 1, firstRow + rows, boxes);
        }
        double row = parentIndexes.isEmpty() ? firstRow
                : (boxes.get(parentIndexes.getFirst()).row() + boxes.get(parentIndexes.getLast()).row()) / 2;
        Placed me = new Placed(node, depth, row, null);
        boxes.set(index, me);
        for (int i : parentIndexes) {
            Placed p = boxes.get(i);
            boxes.set(i, new Placed(p.node(), p.depth(), p.row(), me));
        }
        return Math.max(rows, 1);
    }

    private static int x(int depth) {
        return MARGIN + depth * (BOX_W + GAP_X);
    }

    private static double top(Placed b) {
        return MARGIN + b.row() * (BOX_H + GAP_Y);
    }

    private static double centre(Placed b) {
        return top(b) + BOX_H / 2.0;
    }

    private static void box(StringBuilder sb, Placed b) {
        LineageNode n = b.node();
        String fill = switch (n.kind()) {
            case "", "product" -> "#dbe9f6";
            case "adapter", "peft", "lora-gguf" -> "#fde2c8";
            case "dataset-card", "tokenizer" -> "#e2f0d9";
            default -> "#eeeeee";
        };
        int x = x(b.depth());
        double y = top(b);
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" rx=\"6\" fill=\"%s\" stroke=\"#555\"/>%n",
                x, y, BOX_W, BOX_H, fill));
        String heading = n.kind().isEmpty() ? n.role() : n.role() + ": " + n.kind();
        String[] lines = {heading, what(n), n.digest() != null ? shortDigest(n.digest()) : "digest unknown"};
        for (int i = 0; i < lines.length; i++) {
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\"%s>%s</text>%n", x + 8, y + 17 + 16 * i,
                    i == 0 ? " font-weight=\"bold\"" : "", escape(cutTo(lines[i], 44))));
        }
    }

    private static String cutTo(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}

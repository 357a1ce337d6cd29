package dev.plinth.knowledge;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.Range;
import org.jsoup.nodes.TextNode;
import org.jsoup.parser.Parser;

/**
 * The structure of an HTML page (jsoup, positions tracked): {@code h1}–{@code h6} headings,
 * list items, {@code pre} code, and paragraphs ({@code p} and any run of inline text between block
 * elements). Each block's piece spans the source lines of its element.
 */
final class HtmlStructure {
    private static final Set<String> SKIPPED = Set.of("head", "script", "style", "noscript", "template", "svg", "nav");

    private final List<Block> blocks = new ArrayList<>();
    private final String title;

    private HtmlStructure(String html) {
        org.jsoup.nodes.Document doc = Jsoup.parse(html, "", Parser.htmlParser().setTrackPosition(true));
        String t = doc.title();
        Element h1 = doc.selectFirst("h1");
        this.title = !t.isBlank() ? t.strip() : h1 != null ? h1.text() : null;
        walk(doc.body());
    }

    static HtmlStructure parse(String html) {
        return new HtmlStructure(html);
    }

    List<Block> blocks() {
        return blocks;
    }

    /** The page's {@code <title>}, else its first {@code h1}, else null. */
    String title() {
        return title;
    }

    private void walk(Element parent) {
        Inline inline = new Inline();
        for (Node node : parent.childNodes()) {
            if (node instanceof Element e && (e.isBlock() || e.normalName().equals("br"))) {
                inline.flush(Block.Kind.PARAGRAPH);
                if (!e.normalName().equals("br")) {
                    block(e);
                }
            } else if (node instanceof Element e && !SKIPPED.contains(e.normalName())) {
                inline.add(e.text(), e);
            } else if (node instanceof TextNode text) {
                inline.add(text.text(), text);
            }
        }
        inline.flush(Block.Kind.PARAGRAPH);
    }

    private void block(Element e) {
        String tag = e.normalName();
        if (SKIPPED.contains(tag)) {
            return;
        }
        if (tag.length() == 2 && tag.charAt(0) == 'h' && Character.isDigit(tag.charAt(1))) {
            add(Block.Kind.HEADING, tag.charAt(1) - '0', e.text(), e);
        } else if (tag.equals("pre")) {
            add(Block.Kind.CODE, 0, e.wholeText().strip(), e);
        } else if (tag.equals("li") || tag.equals("dt") || tag.equals("dd")) {
            listItem(e);
        } else if (tag.equals("p")) {
            add(Block.Kind.PARAGRAPH, 0, e.text(), e);
        } else {
            walk(e);
        }
    }

    /** An item's own text is one block; lists nested in it follow as their own items. */
    private void listItem(Element li) {
        Inline inline = new Inline();
        List<Element> nested = new ArrayList<>();
        for (Node node : li.childNodes()) {
            if (node instanceof Element e && e.isBlock()) {
                nested.add(e);
            } else if (node instanceof Element e) {
                inline.add(e.text(), e);
            } else if (node instanceof TextNode text) {
                inline.add(text.text(), text);
            }
        }
        inline.flush(Block.Kind.LIST_ITEM);
        nested.forEach(this::block);
    }

    private void add(Block.Kind kind, int level, String text, Node node) {
        if (!text.isBlank()) {
            blocks.add(new Block(kind, level, List.of(new Piece(text.strip().replaceAll("[ \\t\\x0B\\f\\r]+", " "),
                    firstLine(node), lastLine(node), 0))));
        }
    }

    private static int firstLine(Node node) {
        Range r = node.sourceRange();
        return r.isTracked() ? r.start().lineNumber() : 0;
    }

    private static int lastLine(Node node) {
        Range end = node instanceof Element e ? e.endSourceRange() : node.sourceRange();
        if (end.isTracked()) {
            return end.end().lineNumber();
        }
        Range r = node.sourceRange();
        return r.isTracked() ? r.end().lineNumber() : 0;
    }

    /** Inline text gathered until the next block element. */
    private final class Inline {
        private final StringBuilder text = new StringBuilder();
        private int first;
        private int last;

        void add(String s, Node node) {
            if (s.isBlank()) {
                if (!text.isEmpty()) {
                    text.append(' ');
                }
                return;
            }
            if (text.isEmpty() || first == 0) {
                first = firstLine(node);
            }
            last = Math.max(last, lastLine(node));
            text.append(s);
        }

        void flush(Block.Kind kind) {
            String s = text.toString().strip().replaceAll("\\s+", " ");
            if (!s.isEmpty()) {
                blocks.add(new Block(kind, 0, List.of(new Piece(s, first, Math.max(first, last), 0))));
            }
            text.setLength(0);
            first = 0;
            last = 0;
        }
    }
}

package dev.plinth.knowledge;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The structure of plain text or Markdown, line by line: headings (Markdown's {@code #} lines,
 * a line underlined with {@code ===}, {@code ---}, {@code ***} or the like, and numbered section
 * lines such as {@code 2.3. Archive areas} standing alone), list items ({@code -}, {@code *},
 * {@code +}, {@code 1.} or {@code 1)} with their indented continuation lines), code fences
 * (Markdown only) and paragraphs (runs of non-blank lines). Each line is one {@link Piece}.
 */
final class TextStructure {
    private static final Pattern ATX = Pattern.compile("^ {0,3}(#{1,6})\\s+(.*?)(\\s+#+)?\\s*$");
    private static final Pattern FENCE = Pattern.compile("^\\s*(```|~~~)");
    private static final Pattern UNDERLINE = Pattern.compile("^\\s*([=\\-*~^#\"+])\\1{2,}\\s*$");
    private static final Pattern NUMBERED = Pattern.compile("^(\\d+(\\.\\d+)+)\\.?\\s+\\S.{0,78}$");
    private static final Pattern ITEM = Pattern.compile("^(\\s*)([*\\-+\u2022]|\\d{1,3}[.)])\\s+\\S.*$");

    private final String[] lines;
    private final boolean markdown;
    private final int page;
    private final List<Block> blocks = new ArrayList<>();
    private List<Piece> open = new ArrayList<>();
    private Block.Kind openKind;
    private int itemIndent;

    private TextStructure(String text, boolean markdown, int page) {
        this.lines = text.split("\r\n|\r|\n", -1);
        this.markdown = markdown;
        this.page = page;
    }

    /** The blocks of {@code text}; lines are numbered from 1, on {@code page} (0 when not a PDF). */
    static List<Block> parse(String text, boolean markdown, int page) {
        TextStructure s = new TextStructure(text, markdown, page);
        s.run();
        return s.blocks;
    }

    private void run() {
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank()) {
                close();
                continue;
            }
            if (markdown && FENCE.matcher(line).find()) {
                i = fence(i);
                continue;
            }
            Matcher atx = ATX.matcher(line);
            if (markdown && atx.matches()) {
                heading(atx.group(1).length(), atx.group(2), i, i);
                continue;
            }
            if (openKind == null && i + 1 < lines.length && isUnderline(line, lines[i + 1])) {
                heading(underlineLevel(lines[i + 1]), line.strip(), i, i + 1);
                i++;
                continue;
            }
            if (openKind == null && standsAlone(i) && NUMBERED.matcher(line.strip()).matches()) {
                heading(line.strip().split("\\s+")[0].replaceAll("\\.$", "").split("\\.").length, line.strip(), i, i);
                continue;
            }
            Matcher item = ITEM.matcher(line);
            if (item.matches()) {
                close();
                openKind = Block.Kind.LIST_ITEM;
                itemIndent = item.group(1).length();
            } else if (openKind == Block.Kind.LIST_ITEM && indent(line) <= itemIndent && !markdownLazy()) {
                close();
            }
            if (openKind == null) {
                openKind = Block.Kind.PARAGRAPH;
            }
            open.add(piece(line, i, i));
        }
        close();
    }

    /** Markdown lets a list item's paragraph continue on unindented lines; plain text ends the item there. */
    private boolean markdownLazy() {
        return markdown;
    }

    private int fence(int start) {
        close();
        String marker = FENCE.matcher(lines[start]).results().findFirst().orElseThrow().group(1);
        int i = start + 1;
        while (i < lines.length && !lines[i].strip().startsWith(marker)) {
            if (!lines[i].isBlank()) {
                open.add(piece(lines[i], i, i));
            }
            i++;
        }
        if (!open.isEmpty()) {
            blocks.add(new Block(Block.Kind.CODE, 0, open));
        }
        open = new ArrayList<>();
        return i;
    }

    private void heading(int level, String text, int first, int last) {
        close();
        if (!text.isBlank()) {
            blocks.add(Block.heading(level, new Piece(text.strip(), first + 1, last + 1, page)));
        }
    }

    private boolean standsAlone(int i) {
        return (i == 0 || lines[i - 1].isBlank()) && (i + 1 >= lines.length || lines[i + 1].isBlank());
    }

    private static boolean isUnderline(String line, String next) {
        return UNDERLINE.matcher(next).matches() && !ITEM.matcher(line).matches()
                && next.strip().length() * 2 >= line.strip().length() && line.strip().length() <= 120;
    }

    private static int underlineLevel(String underline) {
        return switch (underline.strip().charAt(0)) {
            case '*', '=', '#' -> 1;
            case '-' -> 2;
            default -> 3;
        };
    }

    private static int indent(String line) {
        int n = 0;
        while (n < line.length() && Character.isWhitespace(line.charAt(n))) {
            n++;
        }
        return n;
    }

    private Piece piece(String line, int first, int last) {
        return new Piece(line.strip(), first + 1, last + 1, page);
    }

    private void close() {
        if (!open.isEmpty()) {
            blocks.add(new Block(openKind, 0, open));
            open = new ArrayList<>();
        }
        openKind = null;
    }
}

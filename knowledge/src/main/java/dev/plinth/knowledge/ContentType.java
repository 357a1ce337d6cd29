package dev.plinth.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/** What a source file holds, told from its bytes (never from its name). */
public enum ContentType {
    TEXT("text/plain"),
    MARKDOWN("text/markdown"),
    HTML("text/html"),
    PDF("application/pdf"),
    JSONL("application/jsonl");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern HTML_START = Pattern.compile(
            "^(<\\?xml[^>]*>\\s*)?(<!--.*?-->\\s*)*<(!doctype\\s+html|html|head|body)[\\s>]", Pattern.DOTALL);
    private static final Pattern MARKDOWN_SIGN = Pattern.compile(
            "(?m)^( {0,3}#{1,6}\\s+\\S|\\s*```|\\s*~~~)|\\[[^\\]\\n]+\\]\\([^)\\s]+\\)");
    private static final int SNIFF_CHARS = 64 * 1024;

    private final String mediaType;

    ContentType(String mediaType) {
        this.mediaType = mediaType;
    }

    public String mediaType() {
        return mediaType;
    }

    /** The type of these bytes, or an {@link UnreadableFileException} saying why they are not a document. */
    public static ContentType detect(byte[] bytes) throws UnreadableFileException {
        if (startsWith(bytes, "%PDF-")) {
            return PDF;
        }
        String text = utf8(bytes);
        String head = text.substring(0, Math.min(text.length(), SNIFF_CHARS)).stripLeading();
        if (HTML_START.matcher(head.toLowerCase(Locale.ROOT)).find()) {
            return HTML;
        }
        if (head.startsWith("{") && firstLineIsJsonObject(head)) {
            return JSONL;
        }
        return looksLikeMarkdown(head) ? MARKDOWN : TEXT;
    }

    /** Whether text shows Markdown's marks: {@code #} headings, code fences or links. */
    static boolean looksLikeMarkdown(String text) {
        return MARKDOWN_SIGN.matcher(text.substring(0, Math.min(text.length(), SNIFF_CHARS))).find();
    }

    /** The bytes as UTF-8 text (a leading byte-order mark dropped), or why they are not text. */
    static String utf8(byte[] bytes) throws UnreadableFileException {
        int limit = Math.min(bytes.length, 8192);
        for (int i = 0; i < limit; i++) {
            if (bytes[i] == 0) {
                throw new UnreadableFileException("binary file (a NUL byte at offset " + i + ")");
            }
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new UnreadableFileException("not valid UTF-8 text");
        }
        if (text.indexOf('\0') >= 0) {
            throw new UnreadableFileException("binary file (a NUL byte at offset " + text.indexOf('\0') + ")");
        }
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    private static boolean firstLineIsJsonObject(String head) {
        int end = head.indexOf('\n');
        String line = end < 0 ? head : head.substring(0, end);
        try {
            JsonNode node = JSON.readTree(line);
            return node != null && node.isObject();
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean startsWith(byte[] bytes, String ascii) {
        if (bytes.length < ascii.length()) {
            return false;
        }
        for (int i = 0; i < ascii.length(); i++) {
            if (bytes[i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}

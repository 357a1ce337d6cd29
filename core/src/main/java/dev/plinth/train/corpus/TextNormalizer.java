package dev.plinth.train.corpus;

import java.text.Normalizer;

/**
 * Canonical text before dedup and tokenization: Unicode NFC; CRLF and lone CR become LF; control
 * characters other than LF and TAB are dropped (C0, DEL, C1, and the BOM U+FEFF); leading and
 * trailing whitespace is trimmed.
 */
public final class TextNormalizer {

    private TextNormalizer() {
    }

    public static String normalize(String text) {
        String nfc = Normalizer.normalize(text, Normalizer.Form.NFC);
        StringBuilder sb = new StringBuilder(nfc.length());
        for (int i = 0; i < nfc.length(); i++) {
            char c = nfc.charAt(i);
            if (c == '\r') {
                sb.append('\n');
                if (i + 1 < nfc.length() && nfc.charAt(i + 1) == '\n') {
                    i++;
                }
            } else if (c == '\n' || c == '\t' || !(c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0xfeff)) {
                sb.append(c);
            }
        }
        return sb.toString().strip();
    }
}

package dev.plinth.langchain4j;

import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.segment.TextSegment;
import dev.plinth.knowledge.Hit;

/** A knowledge base's passage as LangChain4j's text segment: its text, and where it came from as metadata. */
final class Segments {

    /** Metadata keys of a segment from a Plinth knowledge base. */
    static final String DOCUMENT_ID = "document_id";
    static final String PATH = "path";
    static final String FIRST_LINE = "first_line";
    static final String LAST_LINE = "last_line";
    static final String LOCATION = "location";

    private Segments() {
    }

    static TextSegment of(Hit hit) {
        Metadata m = new Metadata()
                .put(DOCUMENT_ID, hit.documentId())
                .put(PATH, hit.path())
                .put(FIRST_LINE, hit.firstLine())
                .put(LAST_LINE, hit.lastLine())
                .put(LOCATION, hit.location());
        if (hit.title() != null && !hit.title().isEmpty()) {
            m.put("title", hit.title());
        }
        if (hit.section() != null && !hit.section().isEmpty()) {
            m.put("section", hit.section());
        }
        return TextSegment.from(hit.text(), m);
    }

    /** A stable id of the passage: its location. */
    static String id(Hit hit) {
        return hit.location();
    }
}

package dev.plinth.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.knowledge.Grounding;
import dev.plinth.knowledge.Hit;
import dev.plinth.knowledge.ProductKnowledge;
import dev.plinth.text.ChatMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link Knowledge} from a product's knowledge layer: each citation is {@code {"index", "document",
 * "source", "first_line", "last_line", "text"}} (with {@code "first_page"}/{@code "last_page"} for a
 * PDF), {@code index} being the {@code [n]} the answer cites it by.
 */
final class KnowledgeGrounding implements Knowledge {
    private final ProductKnowledge knowledge;

    KnowledgeGrounding(ProductKnowledge knowledge) {
        this.knowledge = knowledge;
    }

    @Override
    public Grounded ground(List<ChatMessage> conversation) throws IOException {
        Grounding.Grounded g = knowledge.grounding().ground(conversation);
        List<ObjectNode> citations = new ArrayList<>();
        for (Grounding.Citation c : g.citations()) {
            citations.add(citation(c));
        }
        return new Grounded(g.conversation(), citations);
    }

    private static ObjectNode citation(Grounding.Citation c) {
        Hit h = c.hit();
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("index", c.number());
        o.put("document", h.documentId());
        o.put("source", h.path());
        o.put("first_line", h.firstLine());
        o.put("last_line", h.lastLine());
        if (h.firstPage() > 0) {
            o.put("first_page", h.firstPage());
            o.put("last_page", h.lastPage());
        }
        o.put("text", h.text());
        return o;
    }

    @Override
    public void close() throws IOException {
        knowledge.close();
    }
}

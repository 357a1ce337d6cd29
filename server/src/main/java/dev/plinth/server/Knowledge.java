package dev.plinth.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.text.ChatMessage;
import java.util.List;

/**
 * The seam for knowledge products: before a chat is rendered, a product's knowledge may retrieve
 * passages for the conversation and fill them into it; the passages it cites come back as the
 * message's {@code citations} array. No product has knowledge yet ({@code KNOWLEDGE} is refused by
 * the Plinthfile), so every served model's knowledge is null until the knowledge module supplies one.
 */
interface Knowledge {

    /** A conversation with retrieved passages filled in, and what it cites ({@code {"source", "lines", "text"}} objects, say). */
    record Grounded(List<ChatMessage> conversation, List<ObjectNode> citations) {
        public Grounded {
            conversation = List.copyOf(conversation);
            citations = List.copyOf(citations);
        }
    }

    Grounded ground(List<ChatMessage> conversation);
}

package dev.plinth.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.knowledge.ProductKnowledge;
import dev.plinth.text.ChatMessage;
import java.io.IOException;
import java.util.List;

/**
 * A knowledge product's retrieval as a chat needs it: before a chat is rendered, the product's
 * knowledge retrieves passages for the conversation's last user turn and fills them into it; the
 * passages come back as the message's {@code citations} array ({@link ProductKnowledge} through
 * {@link KnowledgeGrounding}). Models without knowledge have none (null).
 */
interface Knowledge extends AutoCloseable {

    /** A conversation with retrieved passages filled in, and what it cites (one JSON object per numbered passage). */
    record Grounded(List<ChatMessage> conversation, List<ObjectNode> citations) {
        public Grounded {
            conversation = List.copyOf(conversation);
            citations = List.copyOf(citations);
        }
    }

    Grounded ground(List<ChatMessage> conversation) throws IOException;

    @Override
    void close() throws IOException;
}

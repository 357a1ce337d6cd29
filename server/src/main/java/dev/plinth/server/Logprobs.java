package dev.plinth.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.model.LogProb;
import dev.plinth.model.TokenLogProbs;
import dev.plinth.text.Tokenizer;
import java.nio.charset.StandardCharsets;

/** Log-probabilities in OpenAI's two shapes: chat's {@code content} entries and completions' parallel arrays. */
final class Logprobs {

    private Logprobs() {
    }

    /** A token's text as logprobs show it. */
    static String text(Tokenizer tokenizer, int token) {
        return tokenizer.decode(new int[] {token});
    }

    /** Chat: {@code {"token", "logprob", "bytes", "top_logprobs": [{"token", "logprob", "bytes"}]}}. */
    static ObjectNode chatEntry(Tokenizer tokenizer, TokenLogProbs lp) {
        ObjectNode entry = chatToken(tokenizer, lp.token(), lp.logprob());
        ArrayNode top = entry.putArray("top_logprobs");
        for (LogProb alt : lp.top()) {
            top.add(chatToken(tokenizer, alt.token(), alt.logprob()));
        }
        return entry;
    }

    private static ObjectNode chatToken(Tokenizer tokenizer, int token, float logprob) {
        String text = text(tokenizer, token);
        ObjectNode node = Json.object();
        node.put("token", text);
        node.put("logprob", logprob);
        ArrayNode bytes = node.putArray("bytes");
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xff);
        }
        return node;
    }

    /** Completions: {@code {"tokens", "token_logprobs", "top_logprobs", "text_offset"}}, built token by token. */
    static final class Completion {
        private final Tokenizer tokenizer;
        private final ObjectNode node = Json.object();
        private final ArrayNode tokens = node.putArray("tokens");
        private final ArrayNode tokenLogprobs = node.putArray("token_logprobs");
        private final ArrayNode topLogprobs = node.putArray("top_logprobs");
        private final ArrayNode textOffset = node.putArray("text_offset");
        private int offset;

        Completion(Tokenizer tokenizer, int startOffset) {
            this.tokenizer = tokenizer;
            this.offset = startOffset;
        }

        /** A token without a score (the prompt's first). */
        void unscored(int token) {
            String text = text(tokenizer, token);
            tokens.add(text);
            tokenLogprobs.addNull();
            topLogprobs.addNull();
            advance(text);
        }

        void add(TokenLogProbs lp) {
            String text = text(tokenizer, lp.token());
            tokens.add(text);
            tokenLogprobs.add(lp.logprob());
            ObjectNode top = Json.object();
            for (LogProb alt : lp.top()) {
                String key = text(tokenizer, alt.token());
                if (!top.has(key)) {
                    top.put(key, alt.logprob());
                }
            }
            topLogprobs.add(top);
            advance(text);
        }

        private void advance(String text) {
            textOffset.add(offset);
            offset += text.length();
        }

        ObjectNode json() {
            return node;
        }
    }
}

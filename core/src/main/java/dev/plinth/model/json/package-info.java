/**
 * Constrained JSON output: {@link dev.plinth.model.json.JsonGrammar} (the JSON a schema allows, as a
 * byte-level automaton), {@link dev.plinth.model.json.Constraint} (the logits mask a sequence
 * applies before each token) and {@link dev.plinth.model.json.TokenBytes} (each token's bytes).
 * The server's {@code response_format} and tool calls, and {@code Generator} for library callers,
 * decode through them.
 */
package dev.plinth.model.json;

/**
 * Plinth in LangChain4j, in process: {@link dev.plinth.langchain4j.PlinthChatModel} and {@link
 * dev.plinth.langchain4j.PlinthStreamingChatModel} over a base or a product (profile, template,
 * constrained JSON for structured output), {@link dev.plinth.langchain4j.PlinthEmbeddingModel},
 * and a Plinth knowledge base as {@link dev.plinth.langchain4j.PlinthContentRetriever} (hybrid
 * search) and {@link dev.plinth.langchain4j.PlinthEmbeddingStore} (vector search).
 */
package dev.plinth.langchain4j;

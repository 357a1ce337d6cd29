/**
 * Plinth in Spring AI, in process: {@link dev.plinth.springai.PlinthChatModel}, {@link
 * dev.plinth.springai.PlinthEmbeddingModel} and the Boot auto-configuration {@link
 * dev.plinth.springai.PlinthAutoConfiguration} ({@code plinth.product=NAME}, {@code plinth.embedder=builtin}).
 */
package dev.plinth.springai;

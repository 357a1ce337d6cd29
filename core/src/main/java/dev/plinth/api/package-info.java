/**
 * Plinth as a library, the small documented entry for applications: {@link
 * dev.plinth.api.LanguageModel} (a base file or a product from the store by name; generation,
 * blocking and streaming, with sampling parameters and a JSON schema), {@link
 * dev.plinth.api.GenerateOptions}, {@link dev.plinth.api.TextEmbedder} and {@link
 * dev.plinth.api.TextClassifier}. Chat with a template and fine-tuning are in {@code
 * dev.plinth.api.chat} and {@code dev.plinth.api.tune} (plinth-templates); knowledge bases in
 * {@code dev.plinth.api.knowledge} (plinth-knowledge).
 */
package dev.plinth.api;

package dev.plinth.train.corpus;

/** One document read from a source: the source's name, where in it the text came from, and the text. */
public record Document(String source, String origin, String text) {
}

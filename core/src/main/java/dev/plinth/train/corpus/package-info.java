/**
 * Corpus pipeline for pretraining: {@link dev.plinth.train.corpus.CorpusSource}s (text/markdown
 * files or folders, JSONL fields, zip/jar source archives, each with a mixture weight) are streamed
 * through {@link dev.plinth.train.corpus.TextNormalizer}, exact and MinHash near-duplicate removal
 * ({@link dev.plinth.train.corpus.NearDuplicates}) and a hash-based validation split, tokenized in
 * parallel and packed into memory-mapped {@link dev.plinth.train.corpus.TokenShard}s with a
 * {@link dev.plinth.train.corpus.DatasetCard}. {@link dev.plinth.train.corpus.CorpusBuilder} ties it
 * together.
 */
package dev.plinth.train.corpus;

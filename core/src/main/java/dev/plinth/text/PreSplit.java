package dev.plinth.text;

import java.util.List;

/**
 * One step of pre-tokenization: cuts a piece of text into smaller pieces, appending them to
 * {@code out} in order. Implementations are immutable and thread-safe.
 */
sealed interface PreSplit permits LlamaCppSplits.Gpt2, LlamaCppSplits.Llama3, LlamaCppSplits.Regex,
        HfSplits.Pattern, HfSplits.ByCategory, HfSplits.PrefixSpace, HfSplits.ByteLevelMark,
        HfSplits.Normalize {

    void split(String piece, List<String> out);
}

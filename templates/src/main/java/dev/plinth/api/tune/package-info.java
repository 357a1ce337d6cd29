/** Fine-tuning (LoRA, full, classification heads) as a library call: {@link dev.plinth.api.tune.FineTuning}. */
package dev.plinth.api.tune;

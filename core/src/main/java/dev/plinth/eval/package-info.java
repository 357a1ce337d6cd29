/**
 * Evaluation as lm-evaluation-harness does it. A task is data: a {@link dev.plinth.eval.TaskDefinition}
 * (a small text file; the built-in ones are resources named as the shared data sets) read into a
 * {@link dev.plinth.eval.Task} with its rows ({@link dev.plinth.eval.Tasks#resolve} takes a name, a
 * definition file, a probe file or a text folder). An {@link dev.plinth.eval.Evaluator} turns each row
 * into requests (through a {@link dev.plinth.eval.PromptFormat}: a product's profile renders contexts
 * as chat turns), scores them in batches that feed each question's shared prefix once, generates
 * greedily for probes, and returns a {@link dev.plinth.eval.TaskResult}: every metric with its
 * standard error ({@link dev.plinth.eval.Estimate}) and each item's outcome. A malformed definition
 * or row is a {@link dev.plinth.eval.TaskFormatException} naming file and line.
 */
package dev.plinth.eval;

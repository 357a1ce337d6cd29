#!/usr/bin/env bash
# The first Plinth base: tokenizer, corpus and a ≈12M-parameter llama (recipes/base-small.properties)
# pretrained on the ../shared/data mix, then exported and evaluated. Everything goes under OUT.
#   recipes/base-small.sh [OUT]          (default runs/base-small; a rerun reuses what is built)
# Environment: PLINTH_SHARED (default ../shared), STEPS (override the recipe's steps),
# VOCAB (default 8192), PLINTH (the launcher to use, default ./plinth), EXTRA_SOURCE (one more corpus
# source, NAME=PATH[:WEIGHT], e.g. the planted documents of recipes/inheritance.sh), NO_REPORT=1 (stop
# after the export: no per-source perplexity, no samples).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$(cd "${PLINTH_SHARED:-$repo/../shared}/data" && pwd)"
out="${1:-runs/base-small}"
vocab="${VOCAB:-8192}"
plinth="${PLINTH:-$repo/plinth}"
mkdir -p "$out/mix"
out="$(cd "$out" && pwd)"

# TinyStories separates stories by <|endoftext|> lines: one file per story, so each is a document.
if [ ! -d "$out/mix/tinystories" ]; then
  mkdir -p "$out/mix/tinystories.tmp"
  awk -v dir="$out/mix/tinystories.tmp" '
    BEGIN { n = 0; f = sprintf("%s/%05d.txt", dir, n) }
    /^<\|endoftext\|>$/ { close(f); n++; f = sprintf("%s/%05d.txt", dir, n); next }
    { print > f }' "$data/tinystories/tinystories-train-sample.txt"
  mv "$out/mix/tinystories.tmp" "$out/mix/tinystories"
fi
[ -f "$out/starter/README.md" ] || "$plinth" corpus starter -o "$out/starter"

# NAME=PATH[:WEIGHT][,options]: the weight is how many times each training document is written.
sources=(
  "tinystories=$out/mix/tinystories:2"
  "shakespeare=$data/tiny-shakespeare/tiny-shakespeare-train.txt:2,paragraphs"
  "moby-dick=$data/moby-dick/moby-dick.txt:1,paragraphs"
  "brown=$data/brown/brown.jsonl:1"
  "sotu=$data/sotu/sotu.jsonl:0.3"
  "devils-dictionary=$data/devils-dictionary/devils-dictionary.jsonl:1"
  "foldoc=$data/foldoc/foldoc.jsonl:0.3"
  "jargon=$data/jargon-file/jargon-4.4.7.txt:0.5,paragraphs"
  "dialogues=$data/sgd-dialogues/sgd-dialogues.txt:0.3,paragraphs"
  "fortunes=$data/fortunes/fortunes.jsonl:0.5"
  "wordnet=$out/starter/wordnet:0.5"
  "humaneval=$data/humaneval/HumanEval.jsonl:1,jsonl-field=prompt"
  "mbpp=$data/mbpp/mbpp.jsonl:1,jsonl-field=code"
  "java=$out/starter/code:0.3"
)
[ -z "${EXTRA_SOURCE:-}" ] || sources+=("$EXTRA_SOURCE")
args=()
for s in "${sources[@]}"; do args+=(--source "$s"); done

[ -f "$out/tokenizer.json" ] || "$plinth" tokenizer train "$out/mix/tinystories" \
  "$data/tiny-shakespeare/tiny-shakespeare-train.txt" "$data/moby-dick/moby-dick.txt" "$data/brown/brown.jsonl" \
  "$data/sotu/sotu.jsonl" "$data/devils-dictionary/devils-dictionary.jsonl" "$data/foldoc/foldoc.jsonl" \
  "$data/sgd-dialogues/sgd-dialogues.txt" "$data/fortunes/fortunes.jsonl" "$out/starter/wordnet" \
  "$data/mbpp/mbpp.jsonl" "$out/starter/code" --jsonl-field text --max-bytes 24M --vocab-size "$vocab" \
  -o "$out/tokenizer.json"
[ -f "$out/corpus/card.json" ] || "$plinth" corpus build --tokenizer "$out/tokenizer.json" "${args[@]}" \
  --val-fraction 0.02 --seed 7 -o "$out/corpus"

resume=(); [ -f "$out/run/checkpoint.plnt" ] && resume=(--resume)
"$plinth" pretrain --corpus "$out/corpus" --config "$repo/recipes/base-small.properties" --out "$out/run" \
  --plain ${STEPS:+--steps "$STEPS"} "${resume[@]}"
"$plinth" export "$out/run" --tokenizer "$out/tokenizer.json" --gguf "$out/base.gguf" --hf "$out/base-hf"
[ -z "${NO_REPORT:-}" ] || exit 0

# Validation loss per source: the same split (a function of each document and the seed), one source at a time.
echo "## Validation per source (held-out documents, windows of 256 tokens)"
for s in "${sources[@]}"; do
  name="${s%%=*}"
  [ -f "$out/val/$name/card.json" ] || "$plinth" -q corpus build --tokenizer "$out/tokenizer.json" --source "$s" \
    --val-fraction 0.02 --seed 7 -o "$out/val/$name" >/dev/null
  "$plinth" -q perplexity "$out/base.gguf" "$out/val/$name"/validation-*.bin --ctx 256 | tail -n +3 | sed "s|^| $name |"
done
echo "## Samples (temperature 0.8, seed 1)"
for prompt in "Once upon a time" "ROMEO:" "The President said" "def fibonacci(n):" "public static int"; do
  echo "--- $prompt"
  "$plinth" -q run "$out/base.gguf" "$prompt" --echo --max-tokens 64 --temperature 0.8 --seed 1
done

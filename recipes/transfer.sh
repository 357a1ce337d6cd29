#!/usr/bin/env bash
# The experiment the seed promises: what a pretrained base brings to a task, against the same
# architecture trained from scratch on the same data for the same steps.
#   recipes/transfer.sh [BASE] [OUT]    (defaults runs/base-small/base.gguf and runs/transfer; a rerun
#                                        reuses the runs that finished)
# For each seed (SEEDS, default "1 2") and each task, a LoRA adapter on the frozen BASE and
# `--method full --init random` (BASE's shape and vocabulary, fresh weights) train with the same
# data, steps, batch, context and learning rate:
# - sms: spam or ham on the shared SMS Spam Collection; macro-F1 on the validation split.
# - spamassassin: the same on the shared SpamAssassin e-mails (subject line and the start of the body).
# - mail, the house voice: SFT from subject to body on the shared AESLC e-mails (prompt "Subject: S"
#   and a blank line, completion the body); perplexity on held-out e-mails (AESLC's dev split, written
#   the same way, one file) with the adapter merged into the base, and the base's own as a reference.
# Cost per run: the trained file's bytes as a share of BASE's (LoRA: the adapter, with the head for a
# classifier; scratch: the whole new model), the wall time and the peak RSS of `plinth finetune`
# (/usr/bin/time -v). Prints one markdown table row per run, then the means per task and method.
# Environment: SEEDS, LR (default 1e-3, both methods), STEPS_SMS (60), STEPS_SPAMASSASSIN (40),
# STEPS_MAIL (40), PLINTH_SHARED (default ../shared), PLINTH (the launcher, default ./plinth).
# Needs jq. Not part of CI.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
plinth="${PLINTH:-$repo/plinth}"
data="$(cd "${PLINTH_SHARED:-$repo/../shared}/data" && pwd)"
base="${1:-runs/base-small/base.gguf}"
out="${2:-runs/transfer}"
seeds="${SEEDS:-1 2}"
lr="${LR:-1e-3}"
if [ ! -f "$base" ]; then
  echo "transfer: no base at $base (recipes/base-small.sh writes runs/base-small/base.gguf)" >&2
  exit 1
fi
command -v jq > /dev/null || { echo "transfer: needs jq to prepare the data sets" >&2; exit 1; }
base="$(cd "$(dirname "$base")" && pwd)/$(basename "$base")"
mkdir -p "$out/data"
out="$(cd "$out" && pwd)"

# Data: a fixed split by line number (the shared files are already free of duplicates across them).
prepare_data() {
  local d="$out/data"
  [ -f "$d/sms-val.jsonl" ] || {
    jq -R -c 'capture("^(?<label>[^\t]*)\t(?<text>.*)$")' "$data/sms-spam/sms-spam.tsv" > "$d/sms-all.jsonl"
    awk 'NR % 4 != 0 && ++n <= 1200' "$d/sms-all.jsonl" > "$d/sms-train.jsonl"
    awk 'NR % 4 == 0 && ++n <= 500' "$d/sms-all.jsonl" > "$d/sms-val.jsonl"
  }
  # The file is ordered by group (ham first): every twentieth line is validation, so both labels are in it.
  [ -f "$d/spamassassin-val.jsonl" ] || {
    jq -c '(.text | index("\n\n") // 0) as $cut
      | ([.text[:$cut] | split("\n")[] | select(startswith("Subject:"))][0] // "Subject:") as $subject
      | {label: .label, text: ($subject + "\n" + (.text[$cut:][:1500] | gsub("\\s+"; " ") | .[:1000]))}' \
      "$data/spamassassin/spamassassin.jsonl" > "$d/spamassassin-all.jsonl"
    awk 'NR % 10 == 1 || NR % 10 == 4 || NR % 10 == 7' "$d/spamassassin-all.jsonl" > "$d/spamassassin-train.jsonl"
    awk 'NR % 20 == 0' "$d/spamassassin-all.jsonl" > "$d/spamassassin-val.jsonl"
  }
  # Short e-mails, so that a subject and its body fit a context of 128 tokens.
  [ -f "$d/mail-heldout.txt" ] || {
    jq -n -c 'limit(2000; inputs | select(.split == "train" and (.body | length) < 400 and (.subject | length) > 0)
      | {prompt: ("Subject: " + .subject + "\n\n"), completion: .body})' \
      "$data/aeslc-enron-email/aeslc-train-dev.jsonl" > "$d/mail-train.jsonl"
    jq -n -r 'limit(300; inputs | select(.split == "dev" and (.body | length) < 400 and (.subject | length) > 0)
      | "Subject: " + .subject + "\n\n" + .body + "\n")' \
      "$data/aeslc-enron-email/aeslc-train-dev.jsonl" > "$d/mail-heldout.txt"
  }
}

# train TASK METHOD SEED DATA STEPS CONTEXT: one fine-tuning run in OUT/runs/TASK-METHOD-sSEED, timed.
train() {
  local task="$1" method="$2" seed="$3" train_data="$4" steps="$5" context="$6"
  local dir="$out/runs/$task-$method-s$seed"
  local how=(--method lora)
  [ "$method" = lora ] || how=(--method full --init random)
  if [ ! -f "$dir/time.txt" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    /usr/bin/time -v -o "$dir/time.tmp" "$plinth" finetune "$base" "$train_data" --out "$dir" "${how[@]}" \
      --steps "$steps" --batch 8 --context "$context" --lr "$lr" --seed "$seed" --val-fraction 0.05 \
      --eval-every 0 --plain > "$dir/finetune.log" 2>&1 || { cat "$dir/finetune.log" >&2; exit 1; }
    mv "$dir/time.tmp" "$dir/time.txt"
  fi
  echo "$dir"
}

# The trained file: the adapter (with a classifier's head) for LoRA, the new model for scratch.
trained_bytes() {
  local dir="$1" method="$2"
  if [ "$method" = lora ]; then
    if [ -f "$dir/adapter.gguf" ]; then stat -c %s "$dir/adapter.gguf"
    else stat -c %s "$dir/adapter/adapter_model.safetensors"; fi
  else
    stat -c %s "$dir/model.gguf"
  fi
}

# cost DIR METHOD: "share of the base | seconds | peak RSS MiB"
cost() {
  local dir="$1" method="$2" bytes seconds rss
  bytes="$(trained_bytes "$dir" "$method")"
  seconds="$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.0f", s }' "$dir/time.txt")"
  rss="$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$dir/time.txt")"
  awk -v b="$bytes" -v base="$(stat -c %s "$base")" -v s="$seconds" -v r="$rss" \
    'BEGIN { printf "%.2f%% (%.1f MiB) | %s | %s", 100 * b / base, b / 1048576, s, r }'
}

macro_f1() {
  local dir="$1" method="$2" model="$base"
  [ "$method" = lora ] || model="$dir/model.gguf"
  if [ ! -f "$dir/classify.json" ]; then
    "$plinth" -q classify "$model" --adapter "$dir/adapter" --file "$out/data/$3-val.jsonl" --json > "$dir/classify.tmp"
    mv "$dir/classify.tmp" "$dir/classify.json"
  fi
  jq -r '.metrics.macroF1' "$dir/classify.json" | awk '{ printf "%.4f", $1 }'
}

perplexity_of() {
  local model="$1" result="$2"
  if [ ! -f "$result" ]; then
    "$plinth" -q perplexity "$model" "$out/data/mail-heldout.txt" --ctx 128 --json > "$result.tmp"
    mv "$result.tmp" "$result"
  fi
  jq -r '.perplexity // .[0].perplexity' "$result" | awk '{ printf "%.2f", $1 }'
}

mail_perplexity() {
  local dir="$1" method="$2" model
  if [ "$method" = lora ]; then
    model="$dir/merged.gguf"
    [ -f "$model" ] || "$plinth" -q merge "$base" "$dir/adapter.gguf" --out "$model" > /dev/null
  else
    model="$dir/model.gguf"
  fi
  perplexity_of "$model" "$dir/perplexity.json"
}

prepare_data
echo "transfer: base $base ($(stat -c %s "$base") bytes), seeds $seeds, lr $lr; runs in $out/runs" >&2
rows=()
for seed in $seeds; do
  for method in lora scratch; do
    echo "transfer: seed $seed, $method" >&2
    dir="$(train sms "$method" "$seed" "$out/data/sms-train.jsonl" "${STEPS_SMS:-60}" 64)"
    rows+=("| sms | $method | $seed | macro-F1 | $(macro_f1 "$dir" "$method" sms) | $(cost "$dir" "$method") |")
    dir="$(train spamassassin "$method" "$seed" "$out/data/spamassassin-train.jsonl" "${STEPS_SPAMASSASSIN:-40}" 128)"
    rows+=("| spamassassin | $method | $seed | macro-F1 | $(macro_f1 "$dir" "$method" spamassassin) | $(cost "$dir" "$method") |")
    dir="$(train mail "$method" "$seed" "$out/data/mail-train.jsonl" "${STEPS_MAIL:-40}" 128)"
    rows+=("| mail | $method | $seed | perplexity | $(mail_perplexity "$dir" "$method") | $(cost "$dir" "$method") |")
  done
done
rows+=("| mail | base (no training) | - | perplexity | $(perplexity_of "$base" "$out/runs/base-perplexity.json") | - | - | - |")

echo "| task | method | seed | metric | value | trained file (share of the base) | training s | peak RSS MiB |"
echo "|---|---|---:|---|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "| task | method | metric | mean over seeds | mean training s |"
echo "|---|---|---|---:|---:|"
printf '%s\n' "${rows[@]}" | awk -F' *\\| *' '$4 != "-" {
    key = $2 " | " $3 " | " $5; if (!(key in n)) order[++k] = key; n[key]++; v[key] += $6; t[key] += $8 }
  END { for (i = 1; i <= k; i++) printf "| %s | " (order[i] ~ /perplexity/ ? "%.2f" : "%.4f") " | %.0f |\n", order[i], v[order[i]] / n[order[i]], t[order[i]] / n[order[i]] }'

#!/usr/bin/env bash
# Throughput of the Spark jobs (spark/bin/plinth-spark on local[1] and local[2]) against the
# single-machine plinth command on the same input, in one run: corpus build, knowledge create,
# eval and batch run. Each Spark time includes starting the session (a few seconds), as a user sees it.
# Checks on the way that the Spark outputs equal the single-machine ones (corpus: every byte; batch
# run: the completions file; eval: the printed table). A benchmark, not a test: prints a markdown
# table on stdout, progress on stderr.
#
# usage: bench/spark-scale.sh
# environment: PLINTH_SHARED (../shared), MODEL (a GGUF decoder; default: a random-weight
#   SmolLM2-135M-shaped Q8_0 model under bench/out/models), LIMIT (eval items, 60), PROMPTS (16)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
shared="${PLINTH_SHARED:-$root/../shared}"
data="$shared/data"
limit="${LIMIT:-60}"
nprompts="${PROMPTS:-16}"
out="$root/bench/out/spark-scale"
log() { echo "spark-scale: $*" >&2; }
rm -rf "$out" && mkdir -p "$out"
export PLINTH_HOME="$out/home"

model="${MODEL:-$root/bench/out/models/smollm2-135m-Q8_0.gguf}"
if [ ! -f "$model" ]; then
  log "writing a random-weight SmolLM2-135M-shaped Q8_0 model to $model"
  mkdir -p "$(dirname "$model")"
  ./plinth -q dev random-model --preset smollm2-135m --type q8_0 "$model"
fi
spark/bin/plinth-spark --help >/dev/null # builds the Spark jar first, outside the timings

seconds() { # seconds CMD...: runs CMD (its output to $out/last.*), prints the wall time
  local start end
  start=$(date +%s.%N)
  "$@" >"$out/last.out" 2>"$out/last.err" || { cat "$out/last.err" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
rows=()
run_as() { # run_as RUN JOB ARGS...: one run (plinth, local1 or local2); @OUT@ and @RUN@ in ARGS name its output
  local run="$1" job="$2" t
  shift 2
  local args=("${@//@OUT@/$out/$job-$run}")
  args=("${args[@]//@RUN@/$run}")
  log "$job: $run"
  case "$run" in
    plinth) t=$(seconds ./plinth -q "${args[@]}") ;;
    local1) t=$(seconds spark/bin/plinth-spark --master 'local[1]' -q "${args[@]}") ;;
    local2) t=$(seconds spark/bin/plinth-spark --master 'local[2]' -q "${args[@]}") ;;
  esac
  cp "$out/last.out" "$out/$job-$run.stdout"
  echo "$t"
}
measure() { # measure LABEL INPUT UNITS COUNT ARGS...: the three runs of one job, files named by the label's first word
  local label="$1" input="$2" units="$3" count="$4" job="${1%% *}"
  shift 4
  local t1 t2 t3
  t1=$(run_as plinth "$job" "$@")
  t2=$(run_as local1 "$job" "$@")
  t3=$(run_as local2 "$job" "$@")
  rows+=("$(printf '| %s | %s | %.1f s (%.0f %s/s) | %.1f s (%.0f %s/s) | %.1f s (%.0f %s/s) | %.2f |' \
    "$label" "$input" "$t1" "$(echo "$count / $t1" | bc -l)" "$units" "$t2" "$(echo "$count / $t2" | bc -l)" "$units" \
    "$t3" "$(echo "$count / $t3" | bc -l)" "$units" "$(echo "$t1 / $t3" | bc -l)")")
}

# corpus build: four sources, 10.4 MiB, 25,394 documents
sources=(--source "fortunes=$data/fortunes/fortunes.jsonl" --source "brown=$data/brown/brown.jsonl:0.5"
  --source "docs=$data/rag-debian-docs/docs,paragraphs" --source "moby=$data/moby-dick:2,paragraphs")
measure "corpus build" "4 sources, 10.4 MiB" docs 25394 corpus build -o @OUT@ --tokenizer "$data/models/fake-gpt2/tokenizer.json" \
  "${sources[@]}" --val-fraction 0.05 --seed 7 --shard-tokens 100000
for run in local1 local2; do
  for f in "$out/corpus-plinth"/*; do
    cmp -s "$f" "$out/corpus-$run/$(basename "$f")" || { log "corpus build on $run differs: $(basename "$f")"; exit 1; }
  done
done

# knowledge create: Debian FAQ answers with the default embedder
head -n 60 "$data/rag-debian-docs/docs/debian-faq-answers.jsonl" > "$out/faq.jsonl"
measure "knowledge create" "60 FAQ answers" docs 60 knowledge create kb-@RUN@ --from "$out/faq.jsonl" --id-field doc_id
for run in plinth local1 local2; do
  log "knowledge $run: $(grep -o '[0-9,]* chunks' "$out/knowledge-$run.stdout" | head -n1)"
done

# eval: arc-easy
measure "eval" "arc-easy, $limit items" items "$limit" eval "$model" --tasks arc-easy --limit "$limit" --data "$data"
for run in local1 local2; do
  cmp -s "$out/eval-plinth.stdout" "$out/eval-$run.stdout" || { log "eval table on $run differs"; exit 1; }
done

# batch run: prompts to completions
for i in $(seq 1 "$nprompts"); do echo "{\"id\": \"p$i\", \"prompt\": \"Question $i: what is the capital of\"}"; done > "$out/prompts.jsonl"
measure "run --input" "$nprompts prompts, up to 32 tokens each" tok $((nprompts * 32)) run "$model" --input "$out/prompts.jsonl" \
  --output @OUT@.jsonl -n 32 --seed 3
for run in local1 local2; do
  cmp -s "$out/run-plinth.jsonl" "$out/run-$run.jsonl" || { log "completions on $run differ"; exit 1; }
done

echo "| job | input | plinth (one machine) | plinth-spark local[1] | plinth-spark local[2] | plinth ÷ local[2] time |"
echo "|---|---|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "$(lscpu | sed -n 's/^Model name: *//p' | head -n1), $(nproc) cores; outputs checked equal (corpus bytes, eval table, completions file)."

#!/usr/bin/env bash
# Scoring throughput of `plinth eval` against `plinth bench`'s prefill (pp512) on the same model, in
# one run: tokens the model reads per second while scoring multiple-choice and loglikelihood tasks
# (contexts fed once per question, continuations batched), and the ratio to pp512. A benchmark, not
# a test: prints a markdown table on stdout, progress on stderr.
#
# usage: bench/eval-throughput.sh [MODEL]
#   MODEL  a GGUF file (default: a random-weight SmolLM2-135M-shaped Q8_0 model under bench/out/models)
# environment: THREADS (2), LIMIT (items per task, 100), TASKS (arc-easy,piqa,lambada),
#   PLINTH_SHARED (../shared), PLINTH_JAVA_OPTS (extra JVM flags)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
threads="${THREADS:-2}"
limit="${LIMIT:-100}"
tasks="${TASKS:-arc-easy,piqa,lambada}"
shared="${PLINTH_SHARED:-$root/../shared}"
log() { echo "eval-throughput: $*" >&2; }

model="${1:-}"
if [ -z "$model" ]; then
  model="$root/bench/out/models/smollm2-135m-Q8_0.gguf"
  if [ ! -f "$model" ]; then
    log "writing a random-weight SmolLM2-135M-shaped Q8_0 model to $model"
    mkdir -p "$(dirname "$model")"
    ./plinth -q dev random-model --preset smollm2-135m --type q8_0 "$model"
  fi
fi
export PLINTH_JAVA_OPTS="${PLINTH_JAVA_OPTS:-} -Dplinth.threads=$threads"

log "plinth bench $model -p 512 -n 0 -t $threads"
pp=$(./plinth -q bench "$model" -p 512 -n 0 -r 3 -w 1 -t "$threads" | awk -F'|' '/pp512/ {gsub(/ /, "", $8); split($8, a, "±"); print a[1]}')
log "pp512: $pp tok/s"

log "plinth eval $model --tasks $tasks --limit $limit"
err=$(mktemp)
./plinth eval "$model" --tasks "$tasks" --limit "$limit" --data "$shared/data" >/dev/null 2>"$err" || { cat "$err" >&2; exit 1; }

echo "| task | items | tokens read | seconds | scoring tok/s | pp512 tok/s | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
# lines like: plinth: arc-easy: 100 items, 9,130 tokens in 95.3 s (96 tokens/s)
grep -E '^plinth: [a-z0-9._-]+: [0-9]+ items, ' "$err" | sed 's/,//g' \
  | awk -v pp="$pp" '{task=$2; sub(/:$/, "", task); items=$3; tokens=$5; secs=$8;
      rate=tokens/secs; printf "| %s | %d | %d | %.1f | %.1f | %.1f | %.2f |\n", task, items, tokens, secs, rate, pp, rate/pp}'
rm -f "$err"
echo
echo "model: $model; threads: $threads; $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

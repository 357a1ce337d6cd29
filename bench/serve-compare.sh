#!/usr/bin/env bash
# plinth serve against llama.cpp's batched decoding on this machine, in one run, on a random-weight
# model shaped like SmolLM2-135M (Q8_0, written by Plinth): time to first token, tokens/s per stream
# and in total for 1, 8 and 32 concurrent streams (Plinth: streaming /v1/completions over loopback
# HTTP, continuous batching; llama.cpp: every prompt prefilled in one batch, then one batch per step,
# through its own libraries and java.lang.foreign), then eight products with eight different rank-16
# LoRA adapters (q and v projections, PEFT's default) on one base against eight streams on the bare
# base: total tokens/s and peak RSS.
# Each measurement runs in its own JVM. Prints a markdown table on stdout; progress goes to stderr.
#
# usage: bench/serve-compare.sh [--quick]
#   --quick   1 and 8 streams, 32-token prompts, 32 tokens (a smoke run)
# environment: THREADS (2), PROMPT (128), TOKENS (128), STREAMS ("1 8 32"), TYPE (q8_0),
#              LLAMA_VARIANT (a libggml-cpu-VARIANT.so for llama.cpp; default: the best ggml finds),
#              PLINTH_JAVA_OPTS (extra JVM flags)
# llama.cpp's threads spin at each barrier: on a machine busy with other work, more than one thread
# can slow it down many times (THREADS=1 then compares the engines fairly).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source .ci/jdk.sh

threads="${THREADS:-2}"
prompt="${PROMPT:-128}"
tokens="${TOKENS:-128}"
streams="${STREAMS:-1 8 32}"
type="${TYPE:-q8_0}"
if [ "${1:-}" = "--quick" ]; then
  prompt="${PROMPT:-32}"; tokens="${TOKENS:-32}"; streams="${STREAMS:-1 8}"
fi
out="$root/bench/out"
mkdir -p "$out/models"
log() { echo "serve-compare: $*" >&2; }

lib="$root/.reference/node/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
[ -f "$lib/libllama.v0.4.0.so" ] || .ci/install-references >&2
jar="$root/bench/target/plinth-bench.jar"
cli="$root/cli/target/plinth.jar"
if [ ! -f "$jar" ] || [ ! -f "$cli" ] || [ -n "$(find ./*/src/main pom.xml ./*/pom.xml -newer "$jar" -print -quit)" ]; then
  log "building Plinth and the benchmarks"
  ./mvnw -B -q -pl cli,bench -am package -DskipTests >&2
fi
java_opts=("${PLINTH_JVM[@]}" -XX:ActiveProcessorCount="$threads" ${PLINTH_JAVA_OPTS:-})

model="$out/models/smollm2-135m-$type.gguf"
if [ ! -f "$model" ]; then
  log "writing $model"
  "$JAVA_HOME/bin/java" "${java_opts[@]}" -Xmx8g -jar "$cli" -q dev random-model --preset smollm2-135m --type "$type" "$model"
fi

store="$out/serve-store"
measure() { # measure KIND STREAMS: one tab-separated line
  "$JAVA_HOME/bin/java" "${java_opts[@]}" -Xmx6g -Dplinth.llamacpp.lib="$lib" -Dplinth.bench.threads="$threads" \
    -Dplinth.bench.store="$store/store" ${LLAMA_VARIANT:+-Dplinth.llamacpp.variant="$LLAMA_VARIANT"} \
    -cp "$jar" dev.plinth.bench.ServeBench "$1" "$model" "$2" "$prompt" "$tokens"
}

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n1)
echo "## plinth serve vs llama.cpp batched decoding"
echo
echo "SmolLM2-135M shape, $type, random weights; prompts of $prompt tokens, $tokens generated per stream; $threads threads; $cpu"
echo
echo "| engine | streams | TTFT ms | tok/s per stream | tok/s total | total vs llama.cpp | peak RSS MiB |"
echo "|---|---|---|---|---|---|---|"
for n in $streams; do
  log "$n stream(s): llama.cpp"
  l=$(measure llamacpp "$n")
  log "$n stream(s): plinth"
  p=$(measure plinth "$n")
  lt=$(cut -f5 <<<"$l")
  for row in "$l" "$p"; do
    IFS=$'\t' read -r what k ttft per total rss <<<"$row"
    ratio=$(awk -v a="$total" -v b="$lt" 'BEGIN { printf "%.2f", a / b }')
    echo "| $what | $k | $ttft | $per | $total | $ratio | $rss |"
  done
done
echo
log "eight streams on the base product, then eight products with LoRA adapters"
rm -rf "$store"
measure store 8 >/dev/null
b=$(measure products 0)
a=$(measure products 8)
echo "| setup | streams | TTFT ms | tok/s per stream | tok/s total | peak RSS MiB |"
echo "|---|---|---|---|---|---|"
for row in "$b" "$a"; do
  IFS=$'\t' read -r what k ttft per total rss <<<"$row"
  echo "| $what | $k | $ttft | $per | $total | $rss |"
done
bt=$(cut -f5 <<<"$b"); at=$(cut -f5 <<<"$a"); br=$(cut -f6 <<<"$b"); ar=$(cut -f6 <<<"$a")
echo
awk -v at="$at" -v bt="$bt" -v ar="$ar" -v br="$br" 'BEGIN {
  printf "eight LoRA products: total tokens/s %.2f× the bare base'"'"'s (goal ≥ 0.9), peak RSS %.2f× (goal ≤ 1.1)\n", at / bt, ar / br }'

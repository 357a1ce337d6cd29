#!/usr/bin/env bash
# Plinth against llama.cpp on this machine, in one run: memory bandwidth (STREAM-like triad, 1 and 2
# threads), then for random-weight models shaped like SmolLM2-135M and TinyLlama-1.1B in F16, Q8_0,
# Q4_0 and Q4_K_M (written by Plinth): prefill (ppN) and decode (tgN) tokens/s of `plinth bench` and of
# llama.cpp (node-llama-cpp's prebuilt CPU build) on the same file with the same thread count, cold start
# to first token and Plinth's peak RSS. Prints a markdown table on stdout; progress goes to stderr.
#
# usage: bench/llama-cpp-compare.sh [--quick] [--shapes "smollm2-135m tinyllama-1.1b"] [--types "F16 Q8_0 Q4_0 Q4_K_M"]
#   --quick   SmolLM2-135M shape only, pp128/tg32, 2 repetitions (a smoke run of a few minutes)
# environment: THREADS (2), REPS (3), PP (512), TG (128), PLINTH_JAVA_OPTS (extra JVM flags for Plinth)
# Models and node-llama-cpp are kept under bench/out/ (git-ignored) and reused by later runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source .ci/jdk.sh

NLC_VERSION=3.21.1
threads="${THREADS:-2}"
reps="${REPS:-3}"
pp="${PP:-512}"
tg="${TG:-128}"
shapes="smollm2-135m tinyllama-1.1b"
types="F16 Q8_0 Q4_0 Q4_K_M"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) shapes="smollm2-135m"; reps="${REPS:-2}"; pp="${PP:-128}"; tg="${TG:-32}"; shift ;;
    --shapes) shapes="$2"; shift 2 ;;
    --types) types="$2"; shift 2 ;;
    *) echo "unknown argument: $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

out="$root/bench/out"
nlc="$out/node"
models="$out/models"
mkdir -p "$models"
log() { echo "compare: $*" >&2; }

if [ ! -f "$nlc/node_modules/node-llama-cpp/package.json" ] \
    || ! grep -q "\"version\": \"$NLC_VERSION\"" "$nlc/node_modules/node-llama-cpp/package.json"; then
  log "installing node-llama-cpp@$NLC_VERSION into $nlc"
  npm install --prefix "$nlc" --no-save --no-audit --no-fund --ignore-scripts "node-llama-cpp@$NLC_VERSION" >&2
fi

jar="$root/cli/target/plinth.jar"
if [ ! -f "$jar" ] || [ -n "$(find ./*/src/main pom.xml ./*/pom.xml -newer "$jar" -print -quit)" ]; then
  log "building Plinth"
  ./mvnw -B -q -pl cli -am package -DskipTests >&2
fi
# the flags ./plinth runs with; PLINTH_JAVA_OPTS adds more (e.g. "-Xmn8m" to try a smaller young generation)
java_opts=("${PLINTH_JVM[@]}" ${PLINTH_JAVA_OPTS:-})

log "measuring memory bandwidth (triad, 256 MiB arrays)"
bw=$("$JAVA_HOME/bin/java" -Xmx1g bench/Triad.java 256 5 1 2 2>/dev/null)
bw1=$(awk '$1==1 {print $2}' <<<"$bw")
bw2=$(awk '$1==2 {print $2}' <<<"$bw")
bwt=$(awk -v t="$threads" '$1==t {print $2}' <<<"$bw")
bwt="${bwt:-$bw2}"

vocab_of() { case "$1" in smollm2-135m) echo 49152 ;; *) echo 32000 ;; esac; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
json() { node -e 'const r = JSON.parse(process.argv[1]); const v = process.argv[2].split(".").reduce((o, k) => o?.[k], r); console.log(v ?? "0")' "$1" "$2"; }
# the mean from a `plinth bench` table row "| ... | pp512 | 41.09 ± 5.51 |"
plinth_tps() { awk -F'|' -v t="$2" '$7 ~ " "t" " { split($8, a, " "); print a[1] }' <<<"$1"; }
plinth_sd() { awk -F'|' -v t="$2" '$7 ~ " "t" " { split($8, a, " "); print a[3] }' <<<"$1"; }

rows=()
cold=""
l_backend=""
for shape in $shapes; do
  for type in $types; do
    file="$models/$shape-$type.gguf"
    meta="$file.bytes-per-token"
    if [ ! -f "$file" ] || [ ! -f "$meta" ]; then
      log "writing $file"
      "$JAVA_HOME/bin/java" "${java_opts[@]}" -Xmx8g -jar "$jar" -q dev random-model \
        --preset "$shape" --type "$(tr '[:upper:]' '[:lower:]' <<<"$type")" "$file" >&2
      # weights one decode step streams: all of them, except an untied embedding, of which it reads one row
      "$JAVA_HOME/bin/java" "${java_opts[@]}" -jar "$jar" -q inspect --json "$file" 2>/dev/null | node -e '
        const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
        const untied = m.tensors.some(t => t.name === "output.weight");
        console.log(m.tensors.reduce((s, t) => s + (untied && t.name === "token_embd.weight" ? 0 : t.bytes), 0));' > "$meta"
    fi
    per_token=$(cat "$meta")
    size=$(stat -c %s "$file")
    log "$shape $type: plinth bench -t $threads -p $pp -n $tg -r $reps"
    p_out=$("$JAVA_HOME/bin/java" "${java_opts[@]}" -jar "$jar" bench "$file" -t "$threads" -p "$pp" -n "$tg" -r "$reps" 2>/dev/null)
    echo "$p_out" >&2
    p_pp=$(plinth_tps "$p_out" "pp$pp"); p_pp_sd=$(plinth_sd "$p_out" "pp$pp")
    p_tg=$(plinth_tps "$p_out" "tg$tg"); p_tg_sd=$(plinth_sd "$p_out" "tg$tg")
    p_rss=$(awk '/^peak RSS:/ {print $3}' <<<"$p_out")
    log "$shape $type: llama.cpp (node-llama-cpp $NLC_VERSION) -t $threads -p $pp -n $tg -r $reps"
    l_out=$(node bench/llama-cpp-bench.mjs "$nlc" "$file" -p "$pp" -n "$tg" -t "$threads" -r "$reps" -v "$(vocab_of "$shape")")
    echo "$l_out" >&2
    l_pp=$(json "$l_out" pp.mean); l_pp_sd=$(json "$l_out" pp.stddev)
    l_tg=$(json "$l_out" tg.mean); l_tg_sd=$(json "$l_out" tg.stddev)
    l_backend=$(json "$l_out" cpuBackend)
    limit=$(awk -v b="$bwt" -v n="$per_token" 'BEGIN { printf "%.1f", b * 1e9 / n }')
    # KV cache of the larger of the two sessions, F32 keys and values
    kv=$(awk -v s="$shape" -v c="$(( pp > tg ? pp : tg ))" 'BEGIN {
      if (s == "smollm2-135m") { l = 30; kv = 192 } else { l = 22; kv = 256 }
      print l * c * kv * 2 * 4 }')
    rss_budget=$(( size + kv + 300 * 1024 * 1024 ))
    rss_ok=$([ -n "$p_rss" ] && [ "$p_rss" -le "$rss_budget" ] && echo yes || echo NO)
    mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
    rows+=("| $shape | $type | $(mib "$size") | $(printf '%.1f ± %.1f' "$p_pp" "$p_pp_sd") | $(printf '%.1f ± %.1f' "$l_pp" "$l_pp_sd") | $(ratio "$p_pp" "$l_pp") | $(printf '%.2f ± %.2f' "$p_tg" "$p_tg_sd") | $(printf '%.2f ± %.2f' "$l_tg" "$l_tg_sd") | $(ratio "$p_tg" "$l_tg") | $limit | $(mib "${p_rss:-0}") ($rss_ok) |")
    log "row: ${rows[-1]}"
    if [ "$shape" = tinyllama-1.1b ] && [ "$type" = Q8_0 ]; then
      log "cold start: first token of $file in a fresh JVM"
      c_out=$("$JAVA_HOME/bin/java" "${java_opts[@]}" -jar "$jar" bench "$file" -t "$threads" -p 0 -n 1 -r 1 -w 0 2>/dev/null)
      cold=$(awk '/^cold start to first token:/ {print $6}' <<<"$c_out")
      cold_llama=$(json "$l_out" firstTokenMs)
    fi
  done
done

echo "## Plinth vs llama.cpp ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $threads threads, $reps repetitions)"
echo
echo "Memory bandwidth (triad): ${bw1} GB/s with 1 thread, ${bw2} GB/s with 2 threads."
echo "Weights are random (same shapes and dtypes as the real models); token ids are random."
echo "llama.cpp's CPU backend: ${l_backend:-unknown} (the variant node-llama-cpp $NLC_VERSION loads on this CPU)."
echo
echo "| shape | dtype | file | Plinth pp$pp tok/s | llama.cpp pp$pp tok/s | ratio | Plinth tg$tg tok/s | llama.cpp tg$tg tok/s | ratio | decode limit tok/s (bandwidth ÷ bytes/token) | Plinth peak RSS (≤ file + KV + 300 MiB?) |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
if [ -n "$cold" ]; then
  echo
  echo "Cold start to first token, TinyLlama-1.1B shape Q8_0 (fresh JVM, file in page cache): Plinth ${cold} s" \
    "(target ≤ 2 s); llama.cpp through node-llama-cpp $(awk -v m="$cold_llama" 'BEGIN { printf "%.2f", m / 1000 }') s."
fi
echo
echo "Targets: decode ratio ≥ 1.0, prefill ratio ≥ 0.8, cold start ≤ 2 s, peak RSS ≤ file + KV cache + 300 MiB."

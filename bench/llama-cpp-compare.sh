#!/usr/bin/env bash
# Plinth against llama.cpp on this machine, in one run: memory bandwidth (STREAM-like triad, 1 and 2
# threads), then for random-weight models shaped like SmolLM2-135M and TinyLlama-1.1B in F16, Q8_0,
# Q4_0 and Q4_K_M (written by Plinth): prefill (ppN) and decode (tgN) tokens/s of `plinth bench` and of
# llama.cpp on the same file with the same thread count, cold start to first token and Plinth's peak RSS.
# llama.cpp is timed with a C-level loop (`LlamaCppBench`: node-llama-cpp's prebuilt libraries called
# through java.lang.foreign, one llama_decode per step, the CPU variant llama.cpp itself picks here).
# The two engines alternate, one fresh process each per round (each with its own warm-up run), for REPS
# rounds; the table gives min / median / max tok/s and the ratio of the medians with the range of the
# round-by-round ratios. Prints markdown on stdout; progress goes to stderr.
#
# usage: bench/llama-cpp-compare.sh [--quick] [--shapes "smollm2-135m tinyllama-1.1b"] [--types "F16 Q8_0 Q4_0 Q4_K_M"]
#   --quick   SmolLM2-135M shape only, pp128/tg32, 2 rounds (a smoke run of a few minutes)
# environment: THREADS (2), REPS (3 rounds), PP (512), TG (128), PLINTH_JAVA_OPTS (extra JVM flags for
#   Plinth, e.g. -XX:UseAVX=2), LLAMA_CPU (force a llama.cpp CPU variant, e.g. haswell for AVX2)
# Models are kept under bench/out/ (git-ignored) and reused by later runs; llama.cpp's libraries are the
# ones .ci/install-references installs (.reference/node/...).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source .ci/jdk.sh

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
models="$out/models"
mkdir -p "$models"
log() { echo "compare: $*" >&2; }

lib_dir=".reference/node/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
if [ ! -f "$lib_dir/libllama.v0.4.0.so" ]; then
  echo "llama.cpp's libraries are not installed in $lib_dir: run .ci/install-references" >&2
  exit 2
fi

jar="$root/cli/target/plinth.jar"
if [ ! -f "$jar" ] || [ -n "$(find ./*/src/main pom.xml ./*/pom.xml -newer "$jar" -print -quit)" ]; then
  log "building Plinth"
  ./mvnw -B -q -pl cli -am package -DskipTests >&2
fi
bench_jar="$root/bench/target/plinth-bench.jar"
if [ ! -f "$bench_jar" ] || [ -n "$(find ./*/src/main pom.xml ./*/pom.xml -newer "$bench_jar" -print -quit)" ]; then
  log "building the benchmarks"
  ./mvnw -B -q -pl bench -am package -DskipTests >&2
fi
# cold start goes through the launcher, as a user starts Plinth: record its AOT cache now, untimed
"$root/plinth" --version >/dev/null 2>&1
llama_opts=(--enable-native-access=ALL-UNNAMED ${LLAMA_CPU:+-Dplinth.llamacpp.cpu=$LLAMA_CPU})
# the flags ./plinth runs with; PLINTH_JAVA_OPTS adds more (e.g. "-Xmn8m" to try a smaller young generation)
java_opts=("${PLINTH_JVM[@]}" ${PLINTH_JAVA_OPTS:-})

log "measuring memory bandwidth (triad, 256 MiB arrays)"
bw=$("$JAVA_HOME/bin/java" -Xmx1g bench/Triad.java 256 5 1 2 2>/dev/null)
bw1=$(awk '$1==1 {print $2}' <<<"$bw")
bw2=$(awk '$1==2 {print $2}' <<<"$bw")
bwt=$(awk -v t="$threads" '$1==t {print $2}' <<<"$bw")
bwt="${bwt:-$bw2}"

# a field of LlamaCppBench's JSON line: a number, or a list as space-separated numbers
json() { python3 -c 'import json, sys; v = json.loads(sys.argv[1]).get(sys.argv[2], 0); print(" ".join(map(str, v)) if isinstance(v, list) else v)' "$1" "$2"; }
# the tok/s from a `plinth bench` table row "| ... | pp512 | 41.09 ± 5.51 |" (one repetition: the value)
plinth_tps() { awk -F'|' -v t="$2" '$7 ~ " "t" " { split($8, a, " "); print a[1] }' <<<"$1"; }
# "min / median / max" of space-separated numbers
spread() { tr ' ' '\n' <<<"$1" | sort -g | awk -v f="$2" '{ v[NR] = $1 } END {
  m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  printf f " / " f " / " f, v[1], m, v[NR] }'; }
median() { tr ' ' '\n' <<<"$1" | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# "median (min–max of the round-by-round ratios)" of Plinth's over llama.cpp's values
ratios() { paste -d' ' <(tr ' ' '\n' <<<"$1") <(tr ' ' '\n' <<<"$2") | awk -v mp="$(median "$1")" -v ml="$(median "$2")" '
  { r = $1 / $2; lo = NR == 1 || r < lo ? r : lo; hi = NR == 1 || r > hi ? r : hi }
  END { printf "%.2f (%.2f–%.2f)", mp / ml, lo, hi }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }

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
      "$JAVA_HOME/bin/java" "${java_opts[@]}" -jar "$jar" -q inspect --json "$file" 2>/dev/null | python3 -c '
import json, sys
m = json.load(sys.stdin)
untied = any(t["name"] == "output.weight" for t in m["tensors"])
print(sum(t["bytes"] for t in m["tensors"] if not (untied and t["name"] == "token_embd.weight")))' > "$meta"
    fi
    per_token=$(cat "$meta")
    size=$(stat -c %s "$file")
    p_pp=(); p_tg=(); l_pp=(); l_tg=(); p_rss=0
    for round in $(seq 1 "$reps"); do
      log "$shape $type round $round/$reps: plinth bench -t $threads -p $pp -n $tg -r 1"
      p_out=$("$JAVA_HOME/bin/java" "${java_opts[@]}" -jar "$jar" bench "$file" -t "$threads" -p "$pp" -n "$tg" -r 1 2>/dev/null)
      echo "$p_out" >&2
      p_pp+=("$(plinth_tps "$p_out" "pp$pp")"); p_tg+=("$(plinth_tps "$p_out" "tg$tg")")
      rss=$(awk '/^peak RSS:/ {print $3}' <<<"$p_out")
      p_rss=$(( ${rss:-0} > p_rss ? ${rss:-0} : p_rss ))
      log "$shape $type round $round/$reps: llama.cpp (LlamaCppBench) -t $threads -p $pp -n $tg -r 1"
      l_out=$("$JAVA_HOME/bin/java" "${llama_opts[@]}" -cp "$bench_jar" dev.plinth.bench.LlamaCppBench "$file" \
        -t "$threads" -p "$pp" -n "$tg" -r 1 2>/dev/null)
      echo "$l_out" >&2
      l_pp+=("$(json "$l_out" pp)"); l_tg+=("$(json "$l_out" tg)")
      l_backend=$(json "$l_out" cpuBackend)
    done
    limit=$(awk -v b="$bwt" -v n="$per_token" 'BEGIN { printf "%.1f", b * 1e9 / n }')
    # KV cache of the larger of the two sessions, F32 keys and values
    kv=$(awk -v s="$shape" -v c="$(( pp > tg ? pp : tg ))" 'BEGIN {
      if (s == "smollm2-135m") { l = 30; kv = 192 } else { l = 22; kv = 256 }
      print l * c * kv * 2 * 4 }')
    rss_budget=$(( size + kv + 300 * 1024 * 1024 ))
    rss_ok=$([ "$p_rss" -gt 0 ] && [ "$p_rss" -le "$rss_budget" ] && echo yes || echo NO)
    rows+=("| $shape | $type | $(mib "$size") | $(spread "${p_pp[*]}" %.1f) | $(spread "${l_pp[*]}" %.1f) | $(ratios "${p_pp[*]}" "${l_pp[*]}") | $(spread "${p_tg[*]}" %.2f) | $(spread "${l_tg[*]}" %.2f) | $(ratios "${p_tg[*]}" "${l_tg[*]}") | $limit | $(mib "$p_rss") ($rss_ok) |")
    log "row: ${rows[-1]}"
    if [ "$shape" = tinyllama-1.1b ] && [ "$type" = Q8_0 ]; then
      log "cold start: first token of $file in a fresh process, each engine $reps times"
      cold=(); cold_llama=()
      for round in $(seq 1 "$reps"); do
        c_out=$("$root/plinth" bench "$file" -t "$threads" -p 0 -n 1 -r 1 -w 0 2>/dev/null)
        cold+=("$(awk '/^cold start to first token:/ {print $6}' <<<"$c_out")")
        c_out=$("$JAVA_HOME/bin/java" "${llama_opts[@]}" -cp "$bench_jar" dev.plinth.bench.LlamaCppBench "$file" \
          -t "$threads" -p 0 -n 0 2>/dev/null)
        cold_llama+=("$(awk -v m="$(json "$c_out" firstTokenMs)" 'BEGIN { printf "%.3f", m / 1000 }')")
      done
    fi
  done
done

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
isa=$(grep -q ' avx512f ' /proc/cpuinfo && echo "AVX-512" || echo "AVX2")
echo "## Plinth vs llama.cpp ($(date -u +%Y-%m-%dT%H:%MZ), $cpu, $isa, $(nproc) CPUs, $threads threads, $reps rounds)"
echo
echo "Memory bandwidth (triad): ${bw1} GB/s with 1 thread, ${bw2} GB/s with 2 threads."
echo "Weights are random (same shapes and dtypes as the real models); token ids are random."
echo "llama.cpp: node-llama-cpp's prebuilt release v0.4.0, CPU backend ${l_backend:-unknown}$([ -n "${LLAMA_CPU:-}" ] && echo " (forced)" || echo " (its own choice on this CPU)"), timed by a C-level loop (LlamaCppBench)."
echo "Plinth JVM options: ${PLINTH_JAVA_OPTS:-(defaults)}. Each cell: min / median / max over the rounds; ratio: Plinth's median ÷ llama.cpp's (range of the per-round ratios)."
echo
echo "| shape | dtype | file | Plinth pp$pp tok/s | llama.cpp pp$pp tok/s | ratio | Plinth tg$tg tok/s | llama.cpp tg$tg tok/s | ratio | decode limit tok/s (bandwidth ÷ bytes/token) | Plinth peak RSS (≤ file + KV + 300 MiB?) |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
if [ -n "$cold" ]; then
  echo
  echo "Cold start to first token, TinyLlama-1.1B shape Q8_0 (fresh process, file in page cache; min / median / max):" \
    "Plinth $(spread "${cold[*]}" %.2f) s from the start of the ./plinth process, which execs the JVM (its AOT cache${PLINTH_AOT:+, PLINTH_AOT=$PLINTH_AOT}; target ≤ 2 s); llama.cpp $(spread "${cold_llama[*]}" %.2f) s" \
    "from loading its libraries (its JVM harness's own start excluded)."
fi
echo
echo "Targets: decode ratio ≥ 1.0, prefill ratio ≥ 0.8, cold start ≤ 2 s, peak RSS ≤ file + KV cache + 300 MiB."

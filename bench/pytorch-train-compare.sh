#!/usr/bin/env bash
# Plinth against PyTorch (Debian's python3-torch 1.13 on OpenBLAS) training a llama decoder on this
# machine, in one run: for a ≈10M- and a ≈30M-parameter decoder (tied embedding, GQA, SwiGLU) at
# batch 8 × context 256, training tokens/s of Plinth (dev.plinth.bench.TrainStepBench) and of PyTorch
# (bench/pytorch-train-bench.py, the torch model TorchConformanceTest checks Plinth against), each step
# being forward, backward, clipping and an AdamW update. Also measures the machine's F32 matrix-product
# peak (torch.matmul 2048³ on OpenBLAS, and Plinth's MatMul.gemm) and reads both processes' peak RSS
# (VmHWM). PyTorch runs with every setting tried (torch threads 1/2 × OPENBLAS_NUM_THREADS 1/2, and the
# OpenBLAS kernel: as detected, or forced with OPENBLAS_CORETYPE when detection falls back to a generic
# one); the best is used for the ratio, all are listed. Then LoRA r=16 (alpha 32, on every block
# projection, the base frozen) on the same decoders: Plinth against PyTorch with the same LoRA
# (torch_llama.py computing PEFT's formula; PyTorch at its best setting of the full runs), and Plinth
# LoRA against Plinth full training. Plinth runs with .ci/jdk.sh's PLINTH_TRAIN_JVM (G1), as
# ./plinth pretrain and finetune do. Prints markdown on stdout; progress on stderr.
#
# usage: bench/pytorch-train-compare.sh [--quick] [--qlora | --qlora-only]
#   --quick       the ≈10M decoder only, 2 timed steps (a smoke run)
#   --qlora       also QLoRA r=16 on a random TinyLlama-1.1B-shaped Q4_K_M GGUF (1 timed step of 1 × 256
#                 tokens): tokens/s and peak RSS against the file's size, as it is and with each layer
#                 recomputed in backward under a 768 MiB heap (-Xmx768m)
#   --qlora-only  that alone
# environment: STEPS (3 timed steps), WARMUP (1 untimed step), THREADS (Plinth's threads; default 1 and nproc, each
#              run and the best compared, as PyTorch's best setting is; nproc for the GEMM peak and QLoRA),
#              PYTHON (/usr/bin/python3), PLINTH_JAVA_OPTS (extra JVM flags)
#
# FLOP count, the same for both: per token 6·(matrix weights, output projection included) for the
# matrix products of forward and backward, plus 6·layers·seq·hidden for causal attention (QKᵀ and P·V
# over the lower triangle, forward and backward); GFLOP/s = tokens/s × that. An estimate, not a count
# of executed instructions (PyTorch computes the full attention square and masks it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source .ci/jdk.sh

steps="${STEPS:-3}"
warmup="${WARMUP:-1}"
threads="${THREADS:-$(nproc)}"
# Plinth trains at each of these thread counts and the best is compared, as PyTorch's best setting is
plinth_threads="${THREADS:-$(printf '%s\n' 1 "$(nproc)" | sort -un | xargs)}"
py="${PYTHON:-/usr/bin/python3}"
sizes="10m 30m"
qlora=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) sizes="10m"; steps="${STEPS:-2}"; shift ;;
    --qlora) qlora=1; shift ;;
    --qlora-only) qlora=1; sizes=""; shift ;;
    *) echo "unknown argument: $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
log() { echo "compare: $*" >&2; }

if ! "$py" -c "import torch" 2>/dev/null; then
  echo "PyTorch is missing: $py cannot import torch; run .ci/install-references (installs Debian's python3-torch)" >&2
  exit 2
fi

jar="$root/bench/target/plinth-bench.jar"
if [ ! -f "$jar" ] || [ -n "$(find core/src/main bench/src/main pom.xml core/pom.xml bench/pom.xml -newer "$jar" -print -quit)" ]; then
  log "building the bench jar"
  ./mvnw -B -q -pl bench -am package -DskipTests >&2
fi
java_opts=("${PLINTH_TRAIN_JVM[@]}" ${PLINTH_JAVA_OPTS:-})
pyjson() { "$py" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
fmt() { awk -v x="$1" -v f="$2" 'BEGIN { printf f, x }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }

# ---- shapes: name hidden layers heads kvHeads ffn vocab ----
shape_of() {
  case "$1" in
    10m) echo "384 6 6 2 1024 4096" ;;
    30m) echo "512 8 8 2 1536 8192" ;;
  esac
}
# FLOPs per trained token (see the header), for batch 8 × seq 256
flops_per_token() {
  read -r h l heads kv ffn vocab <<<"$1"
  awk -v h="$h" -v l="$l" -v heads="$heads" -v kv="$kv" -v f="$ffn" -v v="$vocab" -v s=256 'BEGIN {
    kvd = kv * (h / heads)
    w = l * (2 * h * h + 2 * kvd * h + 3 * h * f) + v * h
    printf "%.0f", 6 * w + 6 * l * s * h }'
}

# ---- OpenBLAS kernels: the detected one, and forced ones this CPU can run when detection is generic ----
detected=$("$py" -c 'import ctypes; l = ctypes.CDLL("libopenblas.so.0"); l.openblas_get_corename.restype = ctypes.c_char_p; print(l.openblas_get_corename().decode())' 2>/dev/null || echo unknown)
log "OpenBLAS detects core type: $detected"
coretypes=("")
case "$detected" in
  Haswell|Zen|SkylakeX|Cooperlake|SapphireRapids) ;;
  *)
    flags=$(grep -m1 '^flags' /proc/cpuinfo)
    grep -qw avx2 <<<"$flags" && grep -qw fma <<<"$flags" && coretypes+=(Haswell)
    grep -qw avx512f <<<"$flags" && grep -qw avx512bw <<<"$flags" && coretypes+=(SkylakeX)
    grep -qw avx512_bf16 <<<"$flags" && coretypes+=(Cooperlake)
    ;;
esac
label() { [ -z "$1" ] && echo "$detected (detected)" || echo "$1 (forced)"; }

# ---- peak F32 matrix product ----
peak_rows=()
[ -n "$sizes" ] || coretypes=()
best_peak=0
best_core=""
best_core_rate=0
for ct in "${coretypes[@]}"; do
  for ob in 1 2; do
    log "torch.matmul 2048³: OPENBLAS_NUM_THREADS=$ob core $(label "$ct")"
    out=$(env ${ct:+OPENBLAS_CORETYPE=$ct} OPENBLAS_NUM_THREADS="$ob" "$py" bench/pytorch-train-bench.py peak --threads 1 | tail -n1)
    g=$(pyjson "$out" gflops)
    peak_rows+=("| torch.matmul (OpenBLAS $(label "$ct")) | torch 1, OpenBLAS $ob | $(fmt "$g" %.1f) |")
    if awk -v a="$g" -v b="$best_peak" 'BEGIN { exit !(a > b) }'; then best_peak=$g; fi
    if awk -v a="$g" -v b="$best_core_rate" 'BEGIN { exit !(a > b) }'; then best_core_rate=$g; best_core=$ct; fi
  done
done
if [ -n "$sizes" ]; then
  log "Plinth MatMul.gemm 2048³, $threads threads"
  pg=$("$JAVA_HOME/bin/java" "${java_opts[@]}" -Dplinth.threads="$threads" -cp "$jar" dev.plinth.bench.GemmPeak 2048 5 2>/dev/null | awk '{ print $(NF-1) }')
  peak_rows+=("| Plinth MatMul.gemm | $threads threads | $(fmt "$pg" %.1f) |")
  log "peak: $best_peak GFLOP/s; PyTorch trains with OpenBLAS core $(label "$best_core")"
fi

# ---- training ----
summary=()
settings=()
plinth_settings=()
phases=()
lora=()
lora_phases=()
for size in $sizes; do
  shape=$(shape_of "$size")
  read -r h l heads kv ffn vocab <<<"$shape"
  fpt=$(flops_per_token "$shape")
  p_tps=0
  for pt in $plinth_threads; do
    log "$size: Plinth TrainStepBench on $pt threads ($steps steps after $warmup warm-up)"
    out=$("$JAVA_HOME/bin/java" "${java_opts[@]}" -Dplinth.threads="$pt" -Dbench.hidden="$h" -Dbench.layers="$l" \
      -Dbench.heads="$heads" -Dbench.kvHeads="$kv" -Dbench.ffn="$ffn" -Dbench.vocab="$vocab" -Dbench.batch=8 \
      -Dbench.seq=256 -Dbench.steps="$steps" -Dbench.warmup="$warmup" -cp "$jar" dev.plinth.bench.TrainStepBench 2>/dev/null)
    echo "$out" >&2
    tps=$(awk '/^timed:/ { print $4 }' <<<"$out")
    rss=$(awk '/^peak RSS:/ { print $3 }' <<<"$out")
    plinth_settings+=("| ≈${size^^} | $pt | $(fmt "$tps" %.0f) | $(fmt "$(awk -v a="$tps" -v f="$fpt" 'BEGIN { print a * f / 1e9 }')" %.1f) | $(mib "$rss") |")
    if awk -v a="$tps" -v b="$p_tps" 'BEGIN { exit !(a > b) }'; then
      p_tps=$tps; p_out=$out; p_threads=$pt
    fi
  done
  # mean forward / backward / clip+AdamW milliseconds of the timed steps
  p_phase=$(awk '/^step [0-9]+:/ { f += $7; b += $10; o += $13; n++ } END { printf "%.0f / %.0f / %.0f", f / n, b / n, o / n }' <<<"$p_out")
  p_rss=$(awk '/^peak RSS:/ { print $3 }' <<<"$p_out")
  params=$(awk 'NR == 1 { print $1 }' <<<"$p_out")
  best_tps=0
  best_label=""
  best_rss=0
  runs=()
  for t in 1 2; do
    for ob in 1 2; do runs+=("$t $ob $best_core"); done
  done
  # the detected kernel too, at the thread setting the issue names, when another kernel is used
  [ -n "$best_core" ] && runs+=("1 2 ")
  for r in "${runs[@]}"; do
    read -r t ob ct <<<"$r"
    ct="${ct:-}"
    log "$size: PyTorch, torch threads $t, OPENBLAS_NUM_THREADS=$ob, core $(label "$ct")"
    out=$(env ${ct:+OPENBLAS_CORETYPE=$ct} OPENBLAS_NUM_THREADS="$ob" "$py" bench/pytorch-train-bench.py train --threads "$t" \
      --hidden "$h" --layers "$l" --heads "$heads" --kv-heads "$kv" --ffn "$ffn" --vocab "$vocab" --batch 8 --seq 256 \
      --steps "$steps" --warmup "$warmup" | tail -n1)
    tps=$(pyjson "$out" tokens_per_s)
    rss=$(pyjson "$out" peak_rss_kib)
    lbl="torch $t, OpenBLAS $ob, $(label "$ct")"
    settings+=("| ≈${size^^} | $lbl | $(fmt "$tps" %.0f) | $(fmt "$(awk -v a="$tps" -v f="$fpt" 'BEGIN { print a * f / 1e9 }')" %.1f) | $(mib "$rss") |")
    log "row: ${settings[-1]}"
    if awk -v a="$tps" -v b="$best_tps" 'BEGIN { exit !(a > b) }'; then
      best_tps=$tps; best_label=$lbl; best_rss=$rss; best_setting="$t $ob $ct"
      best_phase=$("$py" -c 'import json, sys; print(" / ".join(str(x) for x in json.loads(sys.argv[1])["phase_ms"]))' "$out")
    fi
  done
  gf() { awk -v a="$1" -v f="$fpt" 'BEGIN { printf "%.1f", a * f / 1e9 }'; }
  pct() { awk -v a="$1" -v f="$fpt" -v p="$best_peak" 'BEGIN { printf "%.0f%%", 100 * a * f / 1e9 / p }'; }
  summary+=("| ≈${size^^} ($params params; h $h, $l layers, $heads/$kv heads, ffn $ffn, vocab $vocab) | $(fmt "$p_tps" %.0f) ($p_threads threads) | $(fmt "$best_tps" %.0f) ($best_label) | $(awk -v a="$p_tps" -v b="$best_tps" 'BEGIN { printf "%.2f", a / b }') | $(gf "$p_tps") ($(pct "$p_tps")) | $(gf "$best_tps") ($(pct "$best_tps")) | $(mib "$p_rss") | $(mib "$best_rss") |")
  phases+=("| ≈${size^^} | $p_phase | $best_phase |")

  log "$size: Plinth TrainStepBench on $p_threads threads, LoRA r=16 on the frozen base"
  pl_out=$("$JAVA_HOME/bin/java" "${java_opts[@]}" -Dplinth.threads="$p_threads" -Dbench.hidden="$h" -Dbench.layers="$l" -Dbench.heads="$heads" \
    -Dbench.kvHeads="$kv" -Dbench.ffn="$ffn" -Dbench.vocab="$vocab" -Dbench.batch=8 -Dbench.seq=256 \
    -Dbench.steps="$steps" -Dbench.warmup="$warmup" -Dbench.lora=16 -cp "$jar" dev.plinth.bench.TrainStepBench 2>/dev/null)
  echo "$pl_out" >&2
  pl_tps=$(awk '/^timed:/ { print $4 }' <<<"$pl_out")
  pl_rss=$(awk '/^peak RSS:/ { print $3 }' <<<"$pl_out")
  pl_params=$(awk 'NR == 1 { print $1 }' <<<"$pl_out")
  pl_phase=$(awk '/^step [0-9]+:/ { f += $7; b += $10; o += $13; n++ } END { printf "%.0f / %.0f / %.0f", f / n, b / n, o / n }' <<<"$pl_out")
  read -r t ob ct <<<"$best_setting"
  ct="${ct:-}"
  log "$size: PyTorch LoRA r=16, torch threads $t, OPENBLAS_NUM_THREADS=$ob, core $(label "$ct")"
  out=$(env ${ct:+OPENBLAS_CORETYPE=$ct} OPENBLAS_NUM_THREADS="$ob" "$py" bench/pytorch-train-bench.py train --threads "$t" \
    --hidden "$h" --layers "$l" --heads "$heads" --kv-heads "$kv" --ffn "$ffn" --vocab "$vocab" --batch 8 --seq 256 \
    --steps "$steps" --warmup "$warmup" --lora 16 | tail -n1)
  tl_tps=$(pyjson "$out" tokens_per_s)
  tl_rss=$(pyjson "$out" peak_rss_kib)
  tl_phase=$("$py" -c 'import json, sys; print(" / ".join(str(x) for x in json.loads(sys.argv[1])["phase_ms"]))' "$out")
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
  lora+=("| ≈${size^^} ($pl_params LoRA parameters) | $(fmt "$pl_tps" %.0f) | $(fmt "$tl_tps" %.0f) ($best_label) | $(ratio "$pl_tps" "$tl_tps") | $(fmt "$p_tps" %.0f) | $(ratio "$pl_tps" "$p_tps") | $(mib "$pl_rss") | $(mib "$tl_rss") |")
  lora_phases+=("| ≈${size^^} | $pl_phase | $tl_phase |")
done

if [ -n "$qlora" ]; then
  gguf="$root/bench/target/tinyllama-1.1b-random-Q4_K_M.gguf"
  if [ ! -f "$gguf" ]; then
    log "writing a random TinyLlama-1.1B-shaped Q4_K_M GGUF"
    ./plinth dev random-model --preset tinyllama-1.1b --type q4_k_m "$gguf" >&2
  fi
  q_rows=()
  for variant in plain recompute; do
    extra=()
    run="as it is"
    if [ "$variant" = recompute ]; then
      extra=(-Xmx768m -Dbench.recompute=true)
      run="layers recomputed, -Xmx768m"
    fi
    log "QLoRA r=16 on $(basename "$gguf") ($variant)"
    q_out=$("$JAVA_HOME/bin/java" "${java_opts[@]}" -Dplinth.threads="$threads" "${extra[@]}" -Dbench.file="$gguf" -Dbench.batch=1 -Dbench.seq=256 \
      -Dbench.steps=1 -Dbench.warmup=1 -Dbench.lora=16 -cp "$jar" dev.plinth.bench.TrainStepBench 2>/dev/null)
    echo "$q_out" >&2
    q_tps=$(awk '/^timed:/ { print $4 }' <<<"$q_out")
    q_rss=$(awk '/^peak RSS:/ { print $3 }' <<<"$q_out")
    q_file=$(( $(stat -c %s "$gguf") / 1024 ))
    q_rows+=("| $(basename "$gguf") | $run | $(fmt "$q_tps" %.1f) | $(mib "$q_rss") | $(mib "$q_file") | $(mib $((q_rss - q_file))) |")
  done
fi

if [ -n "$sizes" ]; then
echo "## Plinth vs PyTorch training ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo
echo "Batch 8 × 256 tokens, random tokens, tied embedding; $warmup warm-up step(s), then the mean over $steps timed steps"
echo "(forward, backward, clip to norm 1, AdamW). Plinth at its best thread count of $plinth_threads (LoRA at the same); PyTorch $("$py" -c 'import torch; print(torch.__version__)') (Debian) on OpenBLAS."
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: other jobs may take cores during the run)."
echo
echo "| model | Plinth best tok/s (threads) | PyTorch best tok/s (setting) | ratio | Plinth GFLOP/s (of peak) | PyTorch GFLOP/s (of peak) | Plinth peak RSS | PyTorch peak RSS |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${summary[@]}"
echo
echo "Where the time goes: mean milliseconds per step, forward / backward / clip+AdamW (PyTorch: its best setting):"
echo
echo "| model | Plinth | PyTorch |"
echo "| --- | ---: | ---: |"
printf '%s\n' "${phases[@]}"
echo
echo "Every Plinth setting tried:"
echo
echo "| model | threads | tok/s | GFLOP/s | peak RSS |"
echo "| --- | ---: | ---: | ---: | ---: |"
printf '%s\n' "${plinth_settings[@]}"
echo
echo "Every PyTorch setting tried:"
echo
echo "| model | setting (torch threads, OPENBLAS_NUM_THREADS, OpenBLAS kernel) | tok/s | GFLOP/s | peak RSS |"
echo "| --- | --- | ---: | ---: | ---: |"
printf '%s\n' "${settings[@]}"
echo
echo "Measured F32 matrix-product peak (2048³, best of 5 after 2 warm-ups); the peak above is the best of these torch rows:"
echo
echo "| kernel | threads | GFLOP/s |"
echo "| --- | --- | ---: |"
printf '%s\n' "${peak_rows[@]}"
echo
echo "GFLOP/s = tokens/s × FLOPs per token, the same formula for both: 6·(matrix weights incl. output) + 6·layers·256·hidden."
echo
echo "## LoRA r=16 (alpha 32, q,k,v,o,gate,up,down; the F32 base frozen), same batches and optimizer"
echo
echo "| model | Plinth LoRA tok/s | PyTorch LoRA tok/s (setting) | Plinth / PyTorch | Plinth full tok/s | Plinth LoRA / full | Plinth LoRA peak RSS | PyTorch LoRA peak RSS |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${lora[@]}"
echo
echo "Mean milliseconds per LoRA step, forward / backward / clip+AdamW:"
echo
echo "| model | Plinth | PyTorch |"
echo "| --- | ---: | ---: |"
printf '%s\n' "${lora_phases[@]}"
fi
if [ -n "$qlora" ]; then
  echo
  echo "## QLoRA r=16 on a random TinyLlama-1.1B-shaped Q4_K_M GGUF ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
  echo
  echo "1 × 256 tokens, 1 timed step after 1 warm-up, Plinth on $threads threads; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| base file | run | tok/s | peak RSS | file size | peak RSS − file size |"
  echo "| --- | --- | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${q_rows[@]}"
fi

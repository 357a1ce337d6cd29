#!/usr/bin/env bash
# Knowledge base speed on this machine, in one run (dev.plinth.bench.KnowledgeBench):
#  1. embedding throughput: Plinth's BERT encoder against ONNX Runtime (Maven com.microsoft.onnxruntime,
#     the reference the conformance tests use) on the same all-MiniLM-L6-v2 ONNX file and token ids,
#     THREADS threads each (default 2), in sentences/s: sentences of Moby-Dick and of the Debian Reference
#     (cut at . ! ?, up to 256 tokens), both sorted by length; warmed up, then timed in alternation, the
#     best of five runs each;
#  2. query latency p50/p99 per mode (bm25, vector, hybrid; k = 5, the query's embedding included) over
#     a knowledge base of the shared Debian documentation at 64-token chunks (over 10,000 chunks),
#     built once in bench/out/knowledge-home (several minutes) and reused.
# Prints the CPU model and markdown tables on stdout; progress on stderr.
#
# usage: bench/knowledge-bench.sh [--quick]     (--quick: 200 sentences, no latency table)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source .ci/jdk.sh
threads="${THREADS:-2}"
count=1000
quick=0
if [ "${1:-}" = --quick ]; then quick=1; count=200; fi
data="$root/../shared/data"
home="$root/bench/out/knowledge-home"
mkdir -p "$home"
jar="$root/bench/target/plinth-bench.jar"
echo "knowledge-bench: building the bench jar" >&2
./mvnw -B -q -pl bench -am package -DskipTests >&2
java_opts=("${PLINTH_JVM[@]}" -Dplinth.threads="$threads" -Xmx4g)
run() { "$JAVA_HOME/bin/java" "${java_opts[@]}" -cp "$jar" dev.plinth.bench.KnowledgeBench "$@" 2>/dev/null; }

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -n1), $(nproc) cores"
echo
echo "### Embedding throughput, all-MiniLM-L6-v2 (Plinth ÷ ONNX Runtime)"
echo
echo "| texts | threads | Plinth sentences/s | ONNX Runtime sentences/s | ratio |"
echo "|---|---|---|---|---|"
run embed "$home" "$data/moby-dick/moby-dick.txt" "$count"
run embed "$home" "$data/rag-debian-docs/docs/debian-reference.txt" "$count"
[ "$quick" = 1 ] && exit 0

if [ ! -d "$home/knowledge/debian-64/index" ]; then
  echo "knowledge-bench: building the knowledge base debian-64 (64-token chunks of the Debian docs)" >&2
  PLINTH_HOME="$home" ./plinth knowledge create debian-64 --from "$data/rag-debian-docs/docs" \
    --id-field doc_id --text-field text --chunk-tokens 64 --overlap 8 >&2
fi
echo
echo "### Query latency (k = 5, the query's embedding included), ms"
echo
echo "| mode | chunks | queries | p50 | p99 |"
echo "|---|---|---|---|---|"
run query "$home" debian-64 "$data/rag-debian-docs/faq-qa.jsonl"

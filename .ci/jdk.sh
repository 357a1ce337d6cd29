# Sourced by scripts: exports JAVA_HOME pointing at a JDK 25 and puts it first on PATH. Looks at
# JAVA_HOME, then the `java` on PATH, then /usr/lib/jvm/*; fails with a clear message when none is 25.
is_jdk25() { [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && "$1/bin/java" -version 2>&1 | head -n1 | grep -qE '"25([.-]|")'; }
find_jdk25() {
  if [ -n "${JAVA_HOME:-}" ] && is_jdk25 "$JAVA_HOME"; then
    echo "$JAVA_HOME"
    return
  fi
  local on_path
  on_path="$(command -v java 2>/dev/null || true)"
  if [ -n "$on_path" ]; then
    on_path="$(dirname "$(dirname "$(readlink -f "$on_path")")")"
    if is_jdk25 "$on_path"; then
      echo "$on_path"
      return
    fi
  fi
  local d
  for d in /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    if is_jdk25 "$d"; then
      echo "$d"
      return
    fi
  done
}
JAVA_HOME="$(find_jdk25)"
if [ -z "$JAVA_HOME" ]; then
  echo "Plinth needs a JDK 25: set JAVA_HOME to one (none found in JAVA_HOME, on PATH or under /usr/lib/jvm)." >&2
  exit 2
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
# The JVM options every Plinth launch uses (./plinth and the bench scripts). The heap starts small
# and is given back after a collection leaves it mostly free: ParallelGC otherwise sizes the young
# generation from the machine's memory and keeps it, which cost 1.7 GiB of RSS to run a 137 MiB
# model (343 MiB with these settings, same speed).
PLINTH_JVM=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xss4m
  -Xms16m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=40)
# Training (./plinth pretrain and finetune, bench/pytorch-train-compare.sh) holds a step's activations,
# arrays of MiBs, until backward: ParallelGC copies them at every young collection and grows its young
# generation to GiBs (2.6 GiB RSS for the ≈10M decoder at 8×256 tokens), where G1 places arrays this
# large in regions of their own, never copied, and frees them when the step drops them (1.2–1.5 GiB).
PLINTH_TRAIN_JVM=("${PLINTH_JVM[@]/-XX:+UseParallelGC/-XX:+UseG1GC}")

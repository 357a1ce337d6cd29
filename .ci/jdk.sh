# Sourced by scripts: exports JAVA_HOME pointing at a JDK 25 (JAVA_HOME if it is one, else /usr/lib/jvm/*25*).
is_jdk25() { [ -x "$1/bin/java" ] && "$1/bin/java" -version 2>&1 | head -n1 | grep -qE '"25([.-]|")'; }
if [ -z "${JAVA_HOME:-}" ] || ! is_jdk25 "$JAVA_HOME"; then
  JAVA_HOME=""
  for d in /usr/lib/jvm/*25*; do
    if is_jdk25 "$d"; then JAVA_HOME="$d"; break; fi
  done
  if [ -z "$JAVA_HOME" ]; then
    echo "Plinth needs a JDK 25: set JAVA_HOME to one (none found under /usr/lib/jvm)." >&2
    exit 2
  fi
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
# The JVM options every Plinth launch uses (./plinth and the bench scripts). The heap starts small
# and is given back after a collection leaves it mostly free: ParallelGC otherwise sizes the young
# generation from the machine's memory and keeps it, which cost 1.7 GiB of RSS to run a 137 MiB
# model (343 MiB with these settings, same speed).
PLINTH_JVM=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xss4m
  -Xms16m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=40)

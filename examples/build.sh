#!/usr/bin/env bash
# Builds the example projects against Plinth's artifacts as `./mvnw install` puts them in the local
# Maven repository, and runs each on the seed's three products (tutor: a profile, mail: a LoRA
# adapter, policy: a knowledge base), made by recipes/three-products.sh on the shared stories260K
# in a fresh PLINTH_HOME (a tiny base: the examples show the calls, not good answers).
#   examples/build.sh            (.ci/run calls it after the tests)
# Fails when an artifact lacks its sources or javadoc jar, or an example does not build or run.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
source .ci/jdk.sh
model="$repo/../shared/data/models/stories260K/stories260K.gguf"
if [ ! -f "$model" ]; then
  echo "examples: no shared model at $model" >&2
  exit 1
fi

echo "== ./mvnw install -Ppublish: the library jars with their sources and javadoc jars, and plinth-bom"
./mvnw -B -q install -Ppublish -DskipTests
local_repo="${MAVEN_LOCAL_REPOSITORY:-$HOME/.m2/repository}"
for artifact in plinth-core plinth-templates plinth-knowledge plinth-server plinth-langchain4j plinth-spring-ai; do
  dir="$local_repo/dev/plinth/$artifact/0.1.0-SNAPSHOT"
  for kind in "" -sources -javadoc; do
    [ -f "$dir/$artifact-0.1.0-SNAPSHOT$kind.jar" ] || { echo "examples: $artifact has no${kind:- main} jar in $dir" >&2; exit 1; }
  done
done
[ -f "$local_repo/dev/plinth/plinth-bom/0.1.0-SNAPSHOT/plinth-bom-0.1.0-SNAPSHOT.pom" ] || { echo "examples: no plinth-bom" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PLINTH_HOME="$work/home"
cp "$model" "$work/base.gguf"
echo "== the three products on stories260K (recipes/three-products.sh; log in the example output on failure)"
if ! MAIL_ROWS=64 MAIL_STEPS=5 recipes/three-products.sh "$work/base.gguf" > "$work/three-products.log" 2>&1; then
  cat "$work/three-products.log" >&2
  exit 1
fi

build_example() {
  ./mvnw -B -q -f "examples/$1/pom.xml" package \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -Dmdep.outputFile=target/classpath.txt
}

# Every jar on the class path.
run_on_class_path() {
  local name="$1" main="$2"
  shift 2
  echo "== examples/$name ($main), on the class path"
  "$JAVA_HOME/bin/java" "${PLINTH_JVM[@]}" -cp "examples/$name/target/classes:$(cat "examples/$name/target/classpath.txt")" \
    "$main" "$@"
}

# Plinth's jars (and every dependency) on the module path, the example's own classes on the class path.
run_on_module_path() {
  local name="$1" main="$2"
  shift 2
  echo "== examples/$name ($main), on the module path"
  "$JAVA_HOME/bin/java" "${PLINTH_JVM[@]}" --enable-native-access=org.apache.lucene.core \
    --module-path "$(cat "examples/$name/target/classpath.txt")" --add-modules ALL-MODULE-PATH \
    -cp "examples/$name/target/classes" "$main" "$@"
}

for name in plain-java langchain4j spring-boot; do
  build_example "$name"
done
run_on_class_path plain-java example.PlainJava
run_on_module_path plain-java example.PlainJava
run_on_class_path langchain4j example.LangChain4jExample
run_on_module_path langchain4j example.LangChain4jExample
run_on_class_path spring-boot example.SpringBootExample
run_on_class_path spring-boot example.SpringBootExample --plinth.product=mail "Please send the schedule."
run_on_module_path spring-boot example.SpringBootExample
echo "examples: all built and ran against the installed artifacts"

#!/usr/bin/env bash
# The seed's three products in miniature, on one small base: `tutor` (the base plus a profile: a
# system prompt and few-shot turns), `mail` (the base plus a LoRA adapter) and `policy` (the base
# plus a knowledge base). It builds what Plinth can build today and says which it skips and why.
#   recipes/three-products.sh [BASE]
# BASE is a GGUF base: by default quickstart/base.gguf (built with ./plinth quickstart when missing);
# recipes/base-small.sh writes runs/base-small/base.gguf. The store is PLINTH_HOME, by default
# ./.plinth (git-ignored); PLINTH names the launcher (default ./plinth).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
plinth="${PLINTH:-$repo/plinth}"
base="${1:-$repo/quickstart/base.gguf}"
if [ ! -f "$base" ]; then
  if [ -n "${1:-}" ]; then
    echo "three-products: no base at $base" >&2
    exit 1
  fi
  "$plinth" quickstart -o "$repo/quickstart"
fi
base="$(cd "$(dirname "$base")" && pwd)/$(basename "$base")"
export PLINTH_HOME="${PLINTH_HOME:-$repo/.plinth}"
mkdir -p "$PLINTH_HOME"

echo "== the base, stored once: every product below stands on it by name"
printf 'FROM %s\nDESCRIPTION The small base every product of this recipe stands on.\n' "$base" > "$PLINTH_HOME/base.Plinthfile"
"$plinth" create base -f "$PLINTH_HOME/base.Plinthfile"

echo "== tutor: the base plus a profile (recipes/products/tutor.Plinthfile), and tutor:brief on top of it"
"$plinth" create tutor -f "$repo/recipes/products/tutor.Plinthfile"
"$plinth" create tutor:brief -f "$repo/recipes/products/tutor-brief.Plinthfile"

echo "== mail: skipped. It is the base plus a LoRA adapter SFT-trained on the shared email data (plinth finetune);"
echo "   this recipe does not train one yet."
echo "== policy: skipped. It is the base plus a knowledge base (KNOWLEDGE), which Plinth does not build yet."

echo "== plinth list"
"$plinth" list
echo "== the store: the base's $(du -h "$base" | cut -f1) are in it once, whatever stands on them"
du -sh "$PLINTH_HOME"
ls -l "$PLINTH_HOME/blobs" | awk 'NR > 1 { print $5, $9 }' | sort -n | tail -n 3

echo "== plinth show tutor:brief --lineage"
"$plinth" show tutor:brief --lineage

echo "== plinth run base (no profile: the prompt is completed as it is)"
"$plinth" run base "meadow (noun):" --seed 1 -n 40
for product in tutor tutor:brief; do
  echo "== plinth run $product (the prompt is a user turn after the profile; the product's parameters apply)"
  "$plinth" run "$product" "meadow" --seed 1
done

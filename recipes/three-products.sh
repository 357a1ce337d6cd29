#!/usr/bin/env bash
# The seed's three products in miniature, on one small base: `tutor` (the base plus a profile: a
# system prompt and few-shot turns), `mail` (the base plus a LoRA adapter) and `policy` (the base
# plus a knowledge base of the shared Debian FAQ).
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

echo "== mail: the base plus a LoRA adapter SFT-trained to write subject lines for the shared Enron e-mails"
echo "   (AESLC, CC BY-NC-SA: research use), recipes/products/mail.Plinthfile"
emails="$repo/../shared/data/aeslc-enron-email/aeslc-train-dev.jsonl"
if [ ! -f "$emails" ]; then
  echo "three-products: no shared data at $emails" >&2
  exit 1
fi
if ! command -v jq > /dev/null; then
  echo "three-products: the mail product needs jq to turn the e-mails into prompt/completion pairs (apt-get install jq)" >&2
  exit 1
fi
mail_runs="$PLINTH_HOME/runs/mail"
if [ ! -f "$mail_runs/adapter.gguf" ]; then
  mkdir -p "$mail_runs"
  # Short e-mails only, so that an e-mail and its subject fit the small base's context.
  # jq stops after the rows it needs (head would close the pipe on a jq still writing: SIGPIPE under pipefail).
  jq -c -n --argjson rows "${MAIL_ROWS:-2000}" 'limit($rows; inputs | select((.body | length) < 600)
    | {prompt: ("E-mail:\n" + .body + "\nSubject:"), completion: (" " + .subject)})' "$emails" > "$mail_runs/train.jsonl"
  "$plinth" finetune "$base" "$mail_runs/train.jsonl" --out "$mail_runs" --steps "${MAIL_STEPS:-150}" --batch 8 --lr 1e-3 --plain
fi
sed "s|@ADAPTER@|$mail_runs/adapter.gguf|" "$repo/recipes/products/mail.Plinthfile" > "$mail_runs/mail.Plinthfile"
"$plinth" create mail -f "$mail_runs/mail.Plinthfile"
echo "== policy: the base plus a knowledge base (recipes/products/policy.Plinthfile): the Debian FAQ's answers,"
echo "   chunked, embedded (all-MiniLM-L6-v2, bundled) and indexed once as the knowledge base 'policies'"
faq="$repo/../shared/data/rag-debian-docs/docs/debian-faq-answers.jsonl"
if [ ! -f "$faq" ]; then
  echo "three-products: no shared data at $faq" >&2
  exit 1
fi
if ! "$plinth" knowledge show policies > /dev/null 2>&1; then
  "$plinth" knowledge create policies --from "$faq" --id-field doc_id --text-field text --chunk-tokens 128 --overlap 16
fi
"$plinth" knowledge search policies "How do I install a package?" --k 2
"$plinth" create policy -f "$repo/recipes/products/policy.Plinthfile"

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
echo "== plinth run mail (the adapter applied at run time)"
"$plinth" run mail "$(printf 'E-mail:\nPlease send me the updated gas schedule for tomorrow before noon.\nSubject:')" --seed 1
echo "== plinth run policy --sources (passages retrieved into the prompt; the numbered sources follow the answer)"
"$plinth" run policy "How do I install a package?" --seed 1 --sources

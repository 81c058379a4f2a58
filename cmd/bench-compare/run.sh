#!/usr/bin/env bash
# make bench-compare: llama.cpp and exaone on the same synthetic
# EXAONE-4.0-1.2B-shaped files, in one run. Installs node-llama-cpp (prebuilt
# llama.cpp CPU binaries) into .bench/, which git ignores.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=.bench
TYPES=${TYPES:-"q4_0 q8_0 q4_k_m"}
THREADS=${THREADS:-2}
REPS=${REPS:-3}
mkdir -p "$B"
if [ ! -d "$B/node_modules/node-llama-cpp" ]; then
  (cd "$B" && npm install --no-audit --no-fund --loglevel=error node-llama-cpp@3.22.1)
fi
cp cmd/bench-compare/compare.mjs "$B/"
CGO_ENABLED=0 go build -o "$B/exaone" ./cmd/exaone
files=()
for t in $TYPES; do
  f="$B/exaone4-1.2b-synthetic-$t.gguf"
  [ -f "$f" ] || "$B/exaone" bench --write-synthetic 1.2b --type "$t" --out "$f"
  files+=("$f")
done
node "$B/compare.mjs" "$PWD/$B/exaone" "$THREADS" "$REPS" "${files[@]}"

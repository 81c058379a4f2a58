#!/bin/bash
# One measurement on a many-core machine, run from the repository root:
# the static exaone and llama.cpp's llama-bench and llama-batched-bench
# (built natively there) in .devbin/; synthetic files written there, then
# both alternating at T threads (16), ROUNDS rounds (2) of -r 2, then the
# batched tables unless BATCHED=0; tables go to the folder $1.
set -u
B=$(pwd)/.devbin; W=${SYN:-/tmp/syn}; R=${1:-results}; mkdir -p $W $R
lscpu | grep -E "Model name|^CPU\(s\)|Flags" | cut -c1-200
T=${T:-16}
for s in "1.2b q4_0" "1.2b q4_k_m" "1.2b q8_0" "32b-4layers q4_k_m" "32b-4layers q4_0"; do set -- $s; f=$W/$1-$2.gguf; [ -f $f ] || $B/exaone bench --write-synthetic $1 --type $2 --out $f >/dev/null 2>&1; done
ls -la $W
for f in $W/1.2b-q4_0.gguf $W/1.2b-q4_k_m.gguf $W/1.2b-q8_0.gguf $W/32b-4layers-q4_k_m.gguf $W/32b-4layers-q4_0.gguf; do
  echo "## $f"
  for rep in $(seq 1 ${ROUNDS:-2}); do
    timeout 120 $B/llama-bench -m $f -p 512 -n 128 -t $T -r 2 -o md 2>/dev/null | grep -E "pp512|tg128"
    timeout 120 $B/exaone bench -m $f -p 512 -n 128 -t $T -r 2 2>/dev/null | grep -E "pp512|tg128"
  done
done | tee $R/bench.md
[ "${BATCHED:-1}" = 0 ] && exit 0
echo "## batched"
for f in $W/1.2b-q4_0.gguf $W/1.2b-q4_k_m.gguf; do
  timeout 150 $B/llama-batched-bench -m $f -npl 1,4,8 -npp 128 -ntg 64 -t $T -c 4096 2>/dev/null | grep -E "^\|" 
  timeout 150 $B/exaone bench -m $f --parallel 1,4,8 -p 128 -n 64 -t $T -r 1 2>/dev/null
done | tee $R/batched.md

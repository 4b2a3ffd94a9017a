#!/usr/bin/env bash
# Side by side, in one session, one core each: xent's BenchmarkEncode
# (GOMAXPROCS=1) and the npm package tiktoken (WASM) on the same 712 KB of
# prose; then xent's parallel encoder on every core and the training
# benchmark (32,000 tokens on 10 MB). Nothing else should run meanwhile.
#
#   mkdir -p /tmp/tok-node && (cd /tmp/tok-node && npm install tiktoken@1.0.22)   # once
#   bench/tokenizer_run.sh [count]     # default 5 Go runs, 20 tiktoken calls
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
echo "== machine"; grep -m1 'model name' /proc/cpuinfo; nproc; go version; node --version
echo "== xent: go test ./tokenizer -bench 'BenchmarkEncode$' -cpu 1 -count $count"
go test ./tokenizer -run '^$' -bench 'BenchmarkEncode$' -benchtime 20x -cpu 1 -count "$count"
echo "== tiktoken (npm, WASM)"
NODE_PATH=${NODE_PATH:-/tmp/tok-node/node_modules} node bench/tiktoken_encode.mjs 20
echo "== xent: EncodeParallel, -cpu 1,$(nproc)"
go test ./tokenizer -run '^$' -bench 'BenchmarkEncodeParallel' -benchtime 20x -cpu "1,$(nproc)" -count "$count"
echo "== xent: Train, 32,000 tokens on 10 MB"
go test ./tokenizer -run '^$' -bench 'BenchmarkTrain' -benchtime 1x -count 1 -timeout 30m

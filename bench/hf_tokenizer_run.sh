#!/usr/bin/env bash
# Side by side, in one session, one core each: xent's BenchmarkEncodeHF
# (GOMAXPROCS=1) and Hugging Face's tokenizers 0.23.2 (npm, the Rust core)
# through bench/hf_encode.mjs, on the Opticks twice over (1.1 MB), with the
# six real tokenizer.json files from the npm cache that .ci/run fills.
# Rounds alternate the two sides so that load from other jobs falls on both.
#
#   bench/hf_tokenizer_run.sh [rounds]      # default 3 rounds
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
export NODE_PATH=${NODE_PATH:-${XDG_CACHE_HOME:-$HOME/.cache}/xent-npm/node_modules}
echo "== machine"; grep -m1 'model name' /proc/cpuinfo; nproc; go version; node --version; uptime
go test -c -o /tmp/xent-tokenizer.test ./tokenizer
for r in $(seq "$rounds"); do
  echo "== round $r: xent (go test ./tokenizer -bench BenchmarkEncodeHF -cpu 1 -count 3)"
  (cd tokenizer && /tmp/xent-tokenizer.test -test.run '^$' -test.bench BenchmarkEncodeHF -test.cpu 1 -test.count 3 -test.benchtime 3x)
  echo "== round $r: Hugging Face tokenizers (node bench/hf_encode.mjs 5)"
  node bench/hf_encode.mjs 5
  uptime
done

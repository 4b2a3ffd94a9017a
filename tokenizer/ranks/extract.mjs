// extract.mjs writes the built-in encodings (gpt2, cl100k_base, o200k_base)
// from the npm package tiktoken (MIT) into this folder:
//
//   NAME.tiktoken.gz  the standard tiktoken rank file, "base64(token) rank\n"
//                     per token in rank order, gzip-compressed;
//   NAME.json         {"pat_str": ..., "special_tokens": {...}}.
//
// Rerun (needs node and the npm registry, never CI):
//
//   mkdir -p /tmp/tok-node && (cd /tmp/tok-node && npm install tiktoken@1.0.22)
//   NODE_PATH=/tmp/tok-node/node_modules node tokenizer/ranks/extract.mjs
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(join(process.env.NODE_PATH ?? "/tmp/tok-node/node_modules", "x"));
const here = dirname(fileURLToPath(import.meta.url));

for (const name of ["gpt2", "cl100k_base", "o200k_base"]) {
  const enc = require(`tiktoken/encoders/${name}.json`);
  // The package stores ranks compactly: lines "X OFFSET tok tok ...", where
  // the i-th base64 token of a line has rank OFFSET+i.
  const lines = [];
  for (const line of enc.bpe_ranks.split("\n").filter(Boolean)) {
    const [, offset, ...tokens] = line.split(" ");
    tokens.forEach((tok, i) => lines.push(`${tok} ${Number(offset) + i}`));
  }
  writeFileSync(join(here, `${name}.tiktoken.gz`), gzipSync(lines.join("\n") + "\n", { level: 9 }));
  writeFileSync(join(here, `${name}.json`),
    JSON.stringify({ pat_str: enc.pat_str, special_tokens: enc.special_tokens }, null, 1) + "\n");
  console.log(name, lines.length, "ranks");
}

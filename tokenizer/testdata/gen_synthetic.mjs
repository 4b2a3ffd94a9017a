// gen_synthetic.mjs writes synthetic/*.json, small tokenizer.json files of
// our own for the stages and options the six real files of gen_models.mjs
// do not use, and synthetic.json.gz, what Hugging Face's tokenizers
// (npm tokenizers@0.23.2) gives on them.
//
// Every file is built from hf_gpt2.json (a 1,000-token byte-level BPE that
// xent trained on prose.txt.gz): as it is with other pre-tokenizers,
// normalizers, added tokens and post-processors, or respelled in
// SentencePiece's ▁ alphabet (tokens that are not valid UTF-8 dropped,
// <unk>, <s>, </s> and the 256 <0xNN> byte tokens added) for Metaspace,
// byte_fallback, unk_token, fuse_unk and continuing_subword_prefix.
//
// Texts: the named (not random) cases of goldens.json.gz and a few that
// aim at the options. Goldens per file and text: ids without and with the
// special tokens of the post-processor, and decode of the second keeping
// and skipping special tokens.
//
// Hugging Face's Strip decoder with stop > 0 panics on an empty token
// (strip.rs:47, an index below zero), so no file here uses stop.
//
// Rerun: NODE_PATH=~/.cache/xent-npm/node_modules node tokenizer/testdata/gen_synthetic.mjs
// (see gen_models.mjs for the npm install).
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const modules = process.env.NODE_PATH ?? join(process.env.HOME, ".cache/xent-npm/node_modules");
const require = createRequire(join(modules, "x"));
const { Tokenizer } = require("tokenizers");
const here = dirname(fileURLToPath(import.meta.url));

const base = JSON.parse(readFileSync(join(here, "hf_gpt2.json"), "utf8"));
const clone = (x) => JSON.parse(JSON.stringify(x));
const bl = (prefix, regex) => ({ type: "ByteLevel", add_prefix_space: prefix, trim_offsets: true, use_regex: regex });
const blDecoder = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };
const eot = "<|endoftext|>";

// byteLevel returns base with the stages replaced.
function byteLevel(over) {
  const f = clone(base);
  f.pre_tokenizer = bl(false, false);
  f.decoder = blDecoder;
  return Object.assign(f, over);
}

// sentencePiece respells base in the ▁ alphabet.
const byteChars = (() => {
  const bs = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const map = new Map(bs.map((b) => [String.fromCodePoint(b), b]));
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) map.set(String.fromCodePoint(256 + n++), b);
  return map;
})();
function respell(tok) {
  const bytes = Uint8Array.from([...tok].map((c) => byteChars.get(c)));
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes).replaceAll(" ", "\u2581");
  } catch { return null; }
}
function sentencePiece(over, { prefix = null } = {}) {
  const vocab = { "<unk>": 0, "<s>": 1, "</s>": 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`] = 3 + b;
  let next = 259;
  const addTok = (s) => { if (!(s in vocab)) vocab[s] = next++; };
  for (const [tok] of Object.entries(base.model.vocab).sort((a, b) => a[1] - b[1])) {
    const s = respell(tok);
    if (s !== null && s !== "") { addTok(s); if (prefix !== null) addTok(prefix + s); }
  }
  const merges = [];
  for (const [a, b] of base.model.merges) {
    const [x, y] = [respell(a), respell(b)];
    if (!x || !y || !((x + y) in vocab)) continue;
    if (prefix === null) merges.push([x, y]);
    else merges.push([x, prefix + y], [prefix + x, prefix + y]); // the merged token drops the right side's prefix
  }
  const f = {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [0, 1, 2].map((id) => ({ id, content: ["<unk>", "<s>", "</s>"][id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always", split: true },
    post_processor: null,
    decoder: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always", split: true },
    model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: prefix, end_of_word_suffix: null, fuse_unk: false, byte_fallback: true, ignore_merges: false, vocab, merges },
  };
  return Object.assign(f, over);
}

const files = {};
files.bytelevel_prefix = byteLevel({ pre_tokenizer: bl(true, true) });
for (const behavior of ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]) {
  for (const invert of [false, true]) {
    files[`split_${behavior}_${invert ? "inverted" : "plain"}`] = byteLevel({
      pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Split", pattern: { Regex: "\\s+|[.,!?]" }, behavior, invert }, bl(false, false)] },
    });
  }
}
files.split_string = byteLevel({ pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Split", pattern: { String: "e" }, behavior: "MergedWithNext", invert: false }, bl(false, true)] } });
files.split_lookahead = byteLevel({ pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Split", pattern: { Regex: "\\s+(?!\\S)|\\s*[\\r\\n]+|(?<=\\d)(?=\\p{L})|\\p{Lu}?\\p{Ll}+|\\p{N}{1,2}" }, behavior: "Isolated", invert: false }, bl(false, false)] } });
files.digits_individual = byteLevel({ pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Digits", individual_digits: true }, bl(false, true)] } });
files.digits_contiguous = byteLevel({ pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Digits", individual_digits: false }, bl(false, true)] } });
files.whitespace = byteLevel({ pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Whitespace" }, bl(false, false)] } });
files.whitespace_split = byteLevel({ pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "WhitespaceSplit" }, bl(false, false)] } });
files.punctuation = byteLevel({ pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Punctuation", behavior: "Isolated" }, bl(false, true)] } });
files.punctuation_contiguous = byteLevel({ pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Punctuation", behavior: "Contiguous" }, bl(false, true)] } });
files.nfkc_lower_strip = byteLevel({ normalizer: { type: "Sequence", normalizers: [{ type: "NFKC" }, { type: "Lowercase" }, { type: "Strip", strip_left: true, strip_right: true }] }, pre_tokenizer: bl(false, true) });
files.nfd_strip_accents = byteLevel({ normalizer: { type: "Sequence", normalizers: [{ type: "NFD" }, { type: "StripAccents" }, { type: "Strip", strip_left: false, strip_right: true }] }, pre_tokenizer: bl(false, true) });
files.nfkd_replace_regex = byteLevel({ normalizer: { type: "Sequence", normalizers: [{ type: "NFKD" }, { type: "Replace", pattern: { Regex: "\\d+" }, content: "#" }, { type: "Prepend", prepend: ">" }] }, pre_tokenizer: bl(false, true) });
const addedTokens = [
  { id: 999, content: eot, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
  { id: 1000, content: "<L>", single_word: false, lstrip: true, rstrip: false, normalized: false, special: true },
  { id: 1001, content: "<R>", single_word: false, lstrip: false, rstrip: true, normalized: false, special: true },
  { id: 1002, content: "<LR>", single_word: false, lstrip: true, rstrip: true, normalized: false, special: false },
  { id: 1003, content: "word", single_word: true, lstrip: false, rstrip: false, normalized: false, special: false },
  { id: 1004, content: "Hello", single_word: false, lstrip: false, rstrip: false, normalized: true, special: false },
  { id: 1005, content: "WORLD", single_word: false, lstrip: false, rstrip: false, normalized: false, special: false },
  { id: 1006, content: "  ", single_word: false, lstrip: false, rstrip: false, normalized: false, special: false },
  { id: 1007, content: "<think>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: false },
  { id: 1008, content: "<think></think>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: false },
];
files.added_tokens = byteLevel({ added_tokens: addedTokens, normalizer: { type: "Lowercase" }, pre_tokenizer: bl(false, true) });
files.template = byteLevel({ pre_tokenizer: bl(false, true), post_processor: { type: "TemplateProcessing", single: [{ SpecialToken: { id: eot, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: eot, type_id: 0 } }], pair: [{ Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }], special_tokens: { [eot]: { id: eot, ids: [999], tokens: [eot] } } } });
files.bert_processing = byteLevel({ pre_tokenizer: bl(false, true), post_processor: { type: "BertProcessing", sep: [eot, 999], cls: [eot, 999] } });
// Llama 3.x: a Sequence of ByteLevel and a template (the byte-level fast path's post-processor).
files.sequence_template = byteLevel({ pre_tokenizer: bl(false, true), post_processor: { type: "Sequence", processors: [bl(true, true), { type: "TemplateProcessing", single: [{ SpecialToken: { id: eot, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: eot, type_id: 0 } }], pair: [{ Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }], special_tokens: { [eot]: { id: eot, ids: [999], tokens: [eot] } } }] } });
const bert = (o) => ({ type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true, ...o });
files.bert_default = byteLevel({ normalizer: bert({}), pre_tokenizer: bl(false, true) });
files.bert_accents_only = byteLevel({ normalizer: bert({ clean_text: false, handle_chinese_chars: false, strip_accents: true, lowercase: false }), pre_tokenizer: bl(false, true) });
files.bert_keep_case = byteLevel({ normalizer: bert({ lowercase: false }), pre_tokenizer: bl(false, true) });
// Stages that keep bytes that are not valid UTF-8 (rawbytes.go): NFC, Digits, a String Split, a plain ByteLevel.
files.digits_bytes = byteLevel({ normalizer: { type: "NFC" }, pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Digits", individual_digits: true }, { type: "Split", pattern: { String: " " }, behavior: "MergedWithNext", invert: false }, bl(false, false)] } });
files.no_decoder = byteLevel({ decoder: null, pre_tokenizer: bl(false, true) });
files.metaspace_always = sentencePiece({});
files.metaspace_first = sentencePiece({ pre_tokenizer: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "first", split: false }, decoder: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "first", split: false } });
files.metaspace_never = sentencePiece({ pre_tokenizer: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "never", split: true }, decoder: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "never", split: true } });
files.unk_fused = sentencePiece({ decoder: { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "\u2581" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }, { type: "Strip", content: " ", start: 1, stop: 0 }] } });
files.unk_fused.model.byte_fallback = false; files.unk_fused.model.fuse_unk = true;
files.unk_unfused = clone(files.unk_fused); files.unk_unfused.model.fuse_unk = false;
files.subword_prefix = sentencePiece({ pre_tokenizer: { type: "WhitespaceSplit" }, decoder: { type: "Sequence", decoders: [{ type: "Replace", pattern: { Regex: "##" }, content: "" }, { type: "ByteFallback" }, { type: "Fuse" }] } }, { prefix: "##" });
files.ignore_merges = byteLevel({ pre_tokenizer: bl(false, true) }); files.ignore_merges.model.ignore_merges = true;
files.merges_strings = byteLevel({ pre_tokenizer: bl(false, true) }); files.merges_strings.model.merges = base.model.merges.map(([a, b]) => `${a} ${b}`);

const corpus = JSON.parse(gunzipSync(readFileSync(join(here, "goldens.json.gz"))).toString("utf8"));
const texts = corpus.cases.filter((c) => !c.name.startsWith("random-") && c.name !== "licenses").map((c) => (c.hex ? c.valid : c.text));
texts.push(
  "Hello <L> x  <L>y<R>  z <LR> w \t<LR>\t v", "word words sword word_ word, (word) Word", "HELLO Hello hello WORLD world",
  "a  b   c <think></think> <think>x</think><think>", `${eot}x${eot} ${eot}`, "  Café naïve ﬁne Ⅻ ①②  ", "über ÅNGSTRÖM İstanbul ΣΑΣ",
  "x1y22z333 4444", "  ", " ", "\u2581already\u2581spaced", "tab\there", "日本語 Ελληνικά ✓ 🙂", "a\u0000b\u0085c\u000bd\u200be\u2028f\ue000g\u0378h\ufffdi", "中文字符和English混合，㐀𠀀豈！",
);
mkdirSync(join(here, "synthetic"), { recursive: true });
const out = { texts, files: {} };
for (const [name, json] of Object.entries(files)) {
  const path = join(here, "synthetic", `${name}.json`);
  writeFileSync(path, JSON.stringify(json));
  const tok = Tokenizer.fromFile(path);
  const g = { ids: [], ids_special: [], decoded: [], decoded_skip: [] };
  for (const text of texts) {
    const plain = await tok.encode(text, null, { addSpecialTokens: false });
    const ids = Array.from((await tok.encode(text, null, { addSpecialTokens: true })).getIds());
    g.ids.push(Array.from(plain.getIds()));
    g.ids_special.push(ids);
    g.decoded.push(await tok.decode(ids, false));
    g.decoded_skip.push(await tok.decode(ids, true));
  }
  out.files[name] = g;
}
writeFileSync(join(here, "synthetic.json.gz"), gzipSync(JSON.stringify(out), { level: 9 }));
console.log(Object.keys(files).length, "files,", texts.length, "texts");

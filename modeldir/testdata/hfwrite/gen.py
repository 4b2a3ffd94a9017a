"""Read the model directories xent writes (modeldir.WriteFiles: `xent
train`'s checkpoints and every family's save) the way transformers loads
them, refuse what transformers would load wrongly, and write each one's
golden.json: the logits of the PyTorch twin (model/testdata/gen.py) for a
fixed list of token ids.

Run from the repository root with Debian's PyTorch (no transformers
needed), after `go test ./modeldir -run TestTransformersReadsWhatXentWrites
-update-hf` wrote the directories:

    /usr/bin/python3 modeldir/testdata/hfwrite/gen.py

What is checked, after transformers v4.51 (modeling_utils.py
PreTrainedModel.from_pretrained, configuration_utils.py,
tokenization_utils_base.py, generation/configuration_utils.py):

- config.json names the class that AutoModelForCausalLM builds for its
  model_type in "architectures", and a torch_dtype that is every tensor's
  dtype in model.safetensors;
- the tensors are exactly the class's state dict: none missing
  (transformers would initialise it at random, with only a warning), none
  unexpected (dropped with a warning). tie_word_embeddings is given
  explicitly (the config classes' defaults differ: Llama's, Qwen2's,
  Mistral's and Phi-3's false, Gemma's and GPT-2's true); a tied head has no
  lm_head.weight (transformers points it at the embedding), an untied one
  has its own;
- bos_token_id and eos_token_id in config.json equal generation_config.json's
  (which generate() reads); tokenizer_config.json names a tokenizer class
  and, as bos_token and eos_token, the texts of those ids in tokenizer.json;
  model_max_length is the model's context.
"""

import importlib.util
import json
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
_spec = importlib.util.spec_from_file_location("model_testdata_gen", os.path.join(ROOT, "model", "testdata", "gen.py"))
twin = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(twin)

TOKENS = [1, 7, 300, 45, 2, 99, 250, 3, 17, 64, 128, 5]  # hfTokens in hfconfig_test.go

# transformers' MODEL_FOR_CAUSAL_LM_MAPPING_NAMES for these model types
CLASSES = {"gpt2": "GPT2LMHeadModel", "llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
           "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM", "phi3": "Phi3ForCausalLM",
           "gemma": "GemmaForCausalLM", "gemma2": "Gemma2ForCausalLM", "gemma3_text": "Gemma3ForCausalLM"}
DTYPES = {"float32": "F32", "bfloat16": "BF16", "float16": "F16"}


def state_dict_keys(cfg):
    """The parameter names of the transformers class (its state_dict, the
    tied head's lm_head.weight left out, as save_pretrained leaves it)."""
    kind = cfg["model_type"]
    tied = cfg["tie_word_embeddings"]
    if kind == "gpt2":
        keys = ["wte.weight", "wpe.weight", "ln_f.weight", "ln_f.bias"]
        for i in range(cfg["n_layer"]):
            for n in ("ln_1", "ln_2", "attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"):
                keys += [f"h.{i}.{n}.weight", f"h.{i}.{n}.bias"]
        return set(keys) if tied else set(keys) | {"lm_head.weight"}
    keys = ["model.embed_tokens.weight", "model.norm.weight"]
    bias = cfg.get("attention_bias", False)
    for i in range(cfg["num_hidden_layers"]):
        pre = f"model.layers.{i}."
        keys += [pre + "input_layernorm.weight", pre + "post_attention_layernorm.weight"]
        if kind == "phi3":
            keys += [pre + "self_attn.qkv_proj.weight", pre + "mlp.gate_up_proj.weight"]
        else:
            for n in ("q_proj", "k_proj", "v_proj"):
                keys.append(pre + f"self_attn.{n}.weight")
                if bias or kind == "qwen2":
                    keys.append(pre + f"self_attn.{n}.bias")
            keys += [pre + "mlp.gate_proj.weight", pre + "mlp.up_proj.weight"]
        keys += [pre + "self_attn.o_proj.weight", pre + "mlp.down_proj.weight"]
        if bias and kind != "qwen2":
            keys.append(pre + "self_attn.o_proj.bias")
        if kind in ("qwen3", "gemma3_text"):
            keys += [pre + "self_attn.q_norm.weight", pre + "self_attn.k_norm.weight"]
        if kind in ("gemma2", "gemma3_text"):
            keys += [pre + "pre_feedforward_layernorm.weight", pre + "post_feedforward_layernorm.weight"]
    if not tied:
        keys.append("lm_head.weight")
    return set(keys)


def header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return {k: v for k, v in json.loads(f.read(n)).items() if k != "__metadata__"}


def token_texts(tok):
    """id -> text of tokenizer.json's added tokens (the special ones)."""
    return {t["id"]: t["content"] for t in tok.get("added_tokens", [])}


def check(d):
    problems = []

    def load(name):
        try:
            with open(os.path.join(d, name)) as f:
                return json.load(f)
        except FileNotFoundError:
            problems.append(f"no {name}")
            return {}

    cfg, gen, tc, tok = load("config.json"), load("generation_config.json"), load("tokenizer_config.json"), load("tokenizer.json")
    kind = cfg["model_type"]
    if cfg.get("architectures") != [CLASSES[kind]]:
        problems.append(f"architectures {cfg.get('architectures')}, transformers builds {CLASSES[kind]} for {kind}")
    if "tie_word_embeddings" not in cfg:
        problems.append("tie_word_embeddings is not given (the config classes' defaults differ)")
    h = header(os.path.join(d, "model.safetensors"))
    want = DTYPES.get(cfg.get("torch_dtype"))
    for name, t in h.items():
        if t["dtype"] != want:
            problems.append(f"{name} is {t['dtype']}, torch_dtype says {cfg.get('torch_dtype')}")
            break
    if "tie_word_embeddings" in cfg:
        keys = state_dict_keys(cfg)
        missing, unexpected = keys - set(h), set(h) - keys
        if missing:
            problems.append(f"missing (transformers would initialise them at random): {sorted(missing)[:4]}")
        if unexpected:
            problems.append(f"unexpected (transformers would drop them): {sorted(unexpected)[:4]}")
    texts = token_texts(tok)
    for key, text_key in (("bos_token_id", "bos_token"), ("eos_token_id", "eos_token")):
        ids = cfg.get(key)
        if ids is None:
            problems.append(f"config.json has no {key}")
            continue
        if gen.get(key) != ids:
            problems.append(f"generation_config.json's {key} {gen.get(key)} is not config.json's {ids}")
        first = ids[0] if isinstance(ids, list) else ids
        if not 0 <= first < cfg["vocab_size"]:
            problems.append(f"{key} {first} is outside the vocabulary")
        if tc.get(text_key) != texts.get(first):
            problems.append(f"tokenizer_config.json's {text_key} {tc.get(text_key)!r} is not token {first}, {texts.get(first)!r}")
    if not tc.get("tokenizer_class"):
        problems.append("tokenizer_config.json names no tokenizer_class")
    ctx = cfg.get("n_positions") or cfg.get("max_position_embeddings")
    if tc.get("model_max_length") != ctx:
        problems.append(f"model_max_length {tc.get('model_max_length')} is not the context {ctx}")
    return cfg, problems


def main():
    bad = False
    for case in sorted(os.listdir(HERE)):
        d = os.path.join(HERE, case)
        if not os.path.isdir(d):
            continue
        cfg, problems = check(d)
        if problems:
            bad = True
            print(f"{case}: " + "; ".join(problems))
            continue
        p = twin.read_safetensors(os.path.join(d, "model.safetensors"))
        tokens = torch.tensor(TOKENS).view(1, -1)
        model = twin.gpt2 if cfg["model_type"] == "gpt2" else twin.llama
        with torch.no_grad():
            logits = model(cfg, p, tokens)
        with open(os.path.join(d, "golden.json"), "w") as f:
            json.dump({"Tokens": TOKENS, "Logits": [round(float(x), 7) for x in logits.reshape(-1)]}, f)
            f.write("\n")
        print(f"{case}: transformers reads it as written; golden.json ({logits.shape[-1]} logits a position)")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

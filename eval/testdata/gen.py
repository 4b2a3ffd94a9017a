"""Generate eval/testdata/windows.json: PyTorch reference NLLs for the three
windowing schemes of `xent eval`, on the tiny models in model/testdata/.

Run from the repository root with Debian's PyTorch (no transformers, no
lm_eval needed):

    /usr/bin/python3 eval/testdata/gen.py

The models are model/testdata/{gpt2,llama} (config.json + init.safetensors,
context 16, vocabulary 37), computed in float64 by gpt2() / llama() from
model/testdata/gen.py (loaded from that file, not copied). Three documents of
token ids come from a seeded Markov chain over ids 0..35: A with 3000 ids,
B with 5, C with 15 (one llamacpp chunk of 8 without BOS, two with).
BOS = 36 (never inside a document).

For every model and case the JSON holds, per document and in total, the sum
of the NLLs in nats, the number of scored tokens, and (per document) the
absolute index within the document of every scored target, in scoring
order; and the total mean NLL. "stride" is 0 for the schemes that take none.

Each scheme follows its reference code line by line:

disjoint (ctx=L): lm-evaluation-harness, lm_eval/utils.py
    get_rolling_token_windows(token_list, prefix_token=BOS, max_seq_len=L,
    context_len=1) then make_disjoint_window, as called by
    HFLM.loglikelihood_rolling (lm_eval/models/huggingface.py). Each
    (context, continuation) pair is scored as HFLM._loglikelihood_tokens does
    for a causal model:
        inp = (context_enc + continuation_enc)[-(max_length + 1):][:-1]
        logits = logits[inplen - contlen : inplen]    # _select_cont_toks
    i.e. the last len(continuation) logits of the window predict the
    continuation. First window: input [BOS] + doc[:L-1], targets doc[0:L];
    later full windows: input doc[e-L-1 : e-1], targets doc[e-L : e]; the last
    window keeps L inputs and scores only the remaining tokens. Every token
    is scored exactly once; doc[0] is conditioned on BOS alone.

strided (ctx=L, stride=S): Hugging Face Transformers docs, "Perplexity of
    fixed-length models" (docs/source/en/perplexity.md):
        for begin_loc in range(0, seq_len, stride):
            end_loc = min(begin_loc + max_length, seq_len)
            trg_len = end_loc - prev_end_loc
            input_ids = ids[begin_loc:end_loc]; target_ids[:-trg_len] = -100
            ... model(input_ids, labels=target_ids)  # shifts labels left by 1
            prev_end_loc = end_loc
            if end_loc == seq_len: break
    No BOS. Window position 0 is never a target (the internal shift), so with
    S == L the first token of every window (and doc[0]) is never scored. The
    guide weights each window's mean loss by (valid labels - 1); here the
    per-token NLLs are summed exactly instead.

llamacpp (ctx=n_ctx, add_bos): llama.cpp tools/perplexity/perplexity.cpp,
    perplexity() (the ppl_stride == 0 path; read at commit 050fc7f3):
        add_bos = llama_vocab_get_add_bos(vocab)
        tokens = common_tokenize(ctx, params.prompt, true)  # BOS first iff add_bos
        n_chunk = tokens.size() / n_ctx          # a partial last chunk is dropped
        start = i * n_ctx
        if (add_bos && j == 0) tokens[seq_start] = llama_vocab_bos(vocab)
        first = n_ctx/2
        batch.logits[idx] = pos >= first         # logits kept from position first
        process_logits(..., tokens + start + first, n_ctx - 1 - first, ...)
            -> logit row j (chunk position first + j) predicts tokens[start+first+j+1]
        count += n_ctx - first - 1
    so over the stream S = [BOS] + doc (add_bos) or doc (not), the targets
    are S[start+first+1 .. start+n_ctx-1] (n_ctx-1-first of them) from chunk
    positions first .. n_ctx-2, and with add_bos the chunk's first input is
    BOS. add_bos is the vocabulary's (llama.cpp's converter, gguf-py's
    SpecialVocab: tokenizer_config.json's add_bos_token, else the
    post-processor's template): Llama 2/3, Mistral, Gemma and Phi-3 set it,
    Qwen, GPT-2 and SmolLM2 do not. The scored indices are the document's
    (S's index minus 1 with add_bos; the added BOS is never a target).
    llama.cpp refuses a text shorter than 2*n_ctx tokens; here such a
    document simply has no chunk (document B: count 0).
"""

import importlib.util
import json
import math
import os
import random

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODEL_TESTDATA = os.path.join(ROOT, "model", "testdata")

_spec = importlib.util.spec_from_file_location("model_testdata_gen", os.path.join(MODEL_TESTDATA, "gen.py"))
model_gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(model_gen)

BOS = 36
TEXT_VOCAB = 36  # document ids are 0..35

CASES = [  # (scheme, ctx, stride, add_bos)
    ("disjoint", 16, 0, False),
    ("disjoint", 7, 0, False),
    ("strided", 16, 5, False),
    ("strided", 16, 16, False),
    ("llamacpp", 16, 0, True),
    ("llamacpp", 8, 0, True),
    ("llamacpp", 16, 0, False),
    ("llamacpp", 8, 0, False),
]


def markov_document(rng, n):
    """n ids from a random sparse Markov chain: each id has 3 likely successors."""
    successors = [[rng.randrange(TEXT_VOCAB) for _ in range(3)] for _ in range(TEXT_VOCAB)]
    doc = [rng.randrange(TEXT_VOCAB)]
    while len(doc) < n:
        if rng.random() < 0.8:
            doc.append(rng.choice(successors[doc[-1]]))
        else:
            doc.append(rng.randrange(TEXT_VOCAB))
    return doc


def window_nll(forward, inputs, targets_at):
    """inputs: window token ids [T]; targets_at: list of (logit row, target id).
    Returns the NLLs (nats) of the targets, in order."""
    logits = forward(torch.tensor([inputs]))[0]  # [T, V]
    logp = F.log_softmax(logits, dim=-1)
    return [-logp[row, tok].item() for row, tok in targets_at]


# --- disjoint: lm-evaluation-harness rolling loglikelihood -------------------

def rolling_token_windows(token_list, prefix_token, max_seq_len, context_len):
    """lm_eval.utils.get_rolling_token_windows, restated: yields
    (input tokens, predicted tokens); score the last len(predicted) logits."""
    assert 1 <= context_len <= max_seq_len
    if not token_list:
        return
    pred_len = max_seq_len - context_len + 1
    predicted = 0
    first_seq_len = min(max_seq_len, len(token_list))
    yield [prefix_token] + token_list[: first_seq_len - 1], token_list[:first_seq_len]
    predicted += first_seq_len
    while predicted < len(token_list):
        window_pred_len = min(len(token_list) - predicted, pred_len)
        window_end = predicted + window_pred_len
        yield (token_list[window_end - max_seq_len - 1 : window_end - 1],
               token_list[window_end - window_pred_len : window_end])
        predicted += window_pred_len


def disjoint_window(pair):
    """lm_eval.utils.make_disjoint_window: drop from the context what overlaps
    the continuation."""
    a, b = pair
    return a[: len(a) - (len(b) - 1)], b


def score_disjoint(forward, doc, ctx):
    # Indices instead of ids go through the same windowing, so the scored
    # positions come out of the reference logic itself (BOS is index -1).
    positions = list(range(len(doc)))
    nlls, scored = [], []
    for context_pos, cont_pos in map(disjoint_window, rolling_token_windows(positions, -1, ctx, 1)):
        inp_pos = (context_pos + cont_pos)[-(ctx + 1):][:-1]  # HFLM._loglikelihood_tokens
        inplen, contlen = len(inp_pos), len(cont_pos)
        inputs = [BOS if p < 0 else doc[p] for p in inp_pos]
        rows = range(inplen - contlen, inplen)  # HFLM._select_cont_toks
        nlls += window_nll(forward, inputs, [(r, doc[p]) for r, p in zip(rows, cont_pos)])
        scored += cont_pos
    return nlls, scored


# --- strided: Hugging Face "Perplexity of fixed-length models" ----------------

def score_strided(forward, doc, max_length, stride):
    seq_len = len(doc)
    nlls, scored = [], []
    prev_end_loc = 0
    for begin_loc in range(0, seq_len, stride):
        end_loc = min(begin_loc + max_length, seq_len)
        trg_len = end_loc - prev_end_loc
        window = list(range(begin_loc, end_loc))
        labels = list(window)
        masked = max(len(labels) - trg_len, 0)  # target_ids[:, :-trg_len] = -100
        labels[:masked] = [-100] * masked
        # The model shifts: logit row r predicts labels[r + 1].
        targets_at = [(r, labels[r + 1]) for r in range(len(window) - 1) if labels[r + 1] != -100]
        nlls += window_nll(forward, [doc[p] for p in window], [(r, doc[p]) for r, p in targets_at])
        scored += [p for _, p in targets_at]
        prev_end_loc = end_loc
        if end_loc == seq_len:
            break
    return nlls, scored


# --- llamacpp: llama.cpp tools/perplexity perplexity() ------------------------

def score_llamacpp(forward, doc, n_ctx, add_bos):
    # common_tokenize(..., add_special=true): the stream, as document indices
    # (BOS is index -1)
    stream = ([-1] if add_bos else []) + list(range(len(doc)))
    n_chunk = len(stream) // n_ctx
    first = n_ctx // 2
    nlls, scored = [], []
    for i in range(n_chunk):
        start = i * n_ctx
        chunk = stream[start : start + n_ctx]
        inputs = [BOS if p < 0 else doc[p] for p in chunk]
        if add_bos:
            inputs[0] = BOS
        targets_at = [(first + j, stream[start + first + j + 1]) for j in range(n_ctx - 1 - first)]
        nlls += window_nll(forward, inputs, [(r, doc[p]) for r, p in targets_at])
        scored += [p for _, p in targets_at]
    return nlls, scored


def score(scheme, forward, doc, ctx, stride, add_bos):
    if scheme == "disjoint":
        return score_disjoint(forward, doc, ctx)
    if scheme == "strided":
        return score_strided(forward, doc, ctx, stride)
    return score_llamacpp(forward, doc, ctx, add_bos)


def main():
    rng = random.Random(20260601)
    documents = [markov_document(rng, 3000), markov_document(rng, 5), markov_document(rng, 15)]
    out = {"bos": BOS, "documents": documents, "models": {}}
    for name in ["gpt2", "llama"]:
        d = os.path.join(MODEL_TESTDATA, name)
        with open(os.path.join(d, "config.json")) as f:
            cfg = json.load(f)
        params = model_gen.read_safetensors(os.path.join(d, "init.safetensors"))
        model = {"gpt2": model_gen.gpt2, "llama": model_gen.llama}[cfg["model_type"]]

        def forward(tokens, cfg=cfg, params=params, model=model):
            with torch.no_grad():
                return model(cfg, params, tokens)

        cases = []
        for scheme, ctx, stride, add_bos in CASES:
            per_doc = []
            for doc in documents:
                nlls, scored = score(scheme, forward, doc, ctx, stride, add_bos)
                if scheme == "disjoint":
                    assert scored == list(range(len(doc))), "disjoint must score every token once"
                assert len(set(scored)) == len(scored) and min(scored, default=0) >= 0
                per_doc.append({"nll_sum": math.fsum(nlls), "count": len(nlls), "scored": scored})
            total = math.fsum(d["nll_sum"] for d in per_doc)
            count = sum(d["count"] for d in per_doc)
            cases.append({"scheme": scheme, "ctx": ctx, "stride": stride, "add_bos": add_bos, "documents": per_doc,
                          "nll_sum": total, "count": count, "mean_nll": total / count})
            print(f"{name:5s} {scheme:8s} ctx={ctx:2d} stride={stride:2d} add_bos={add_bos:d}: "
                  f"count {count:5d} mean NLL {total / count:.6f}")
        out["models"][name] = {"dir": "../../model/testdata/" + name, "cases": cases}
    path = os.path.join(HERE, "windows.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, separators=(",", ":"))  # floats as repr: shortest round-trip
        f.write("\n")
    os.replace(tmp, path)


if __name__ == "__main__":
    main()

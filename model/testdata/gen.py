"""Generate model/testdata/<case>/golden.safetensors: PyTorch's logits, loss
and parameter gradients for the tiny models the Go tests check.

Run from the repository root with Debian's PyTorch (no transformers needed):

    /usr/bin/python3 model/testdata/gen.py

Each case directory holds what the Go side wrote (go test ./model -run
TestPyTorchGoldens -update): config.json (Hugging Face fields),
init.safetensors (the weights, Hugging Face naming) and batch.json (tokens
and targets [B, T]). The models below are GPT-2 and Llama (with Mistral, Qwen2 and
Qwen3) written in plain torch after Hugging Face's modeling_gpt2.py,
modeling_llama.py, modeling_mistral.py, modeling_qwen2.py, modeling_qwen3.py,
modeling_phi3.py, modeling_gemma.py, modeling_gemma2.py, modeling_gemma3.py
and modeling_rope_utils.py; all math
runs in float64 from the float32 weights. The output holds "logits"
[B, T, V], "loss" [] (mean cross-entropy, ignore index -100),
"grad.<name>" for every parameter, and "after.<name>": the parameters after
one torch.optim.AdamW step (lr 1e-2, weight decay 0.1 on matrices only), as
float32.
"""

import json
import math
import os
import struct

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


def read_safetensors(path):
    with open(path, "rb") as f:
        b = f.read()
    (n,) = struct.unpack("<Q", b[:8])
    header = json.loads(b[8 : 8 + n])
    data = b[8 + n :]
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        assert h["dtype"] == "F32", (name, h["dtype"])
        lo, hi = h["data_offsets"]
        t = torch.frombuffer(bytearray(data[lo:hi]), dtype=torch.float32)
        out[name] = t.reshape(h["shape"]).to(torch.float64)
    return out


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        raw = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def causal_attention(q, k, v, scale=None):
    """q [B, H, T, D], k and v [B, H, T, D]: softmax(q kᵀ·scale, causal) v,
    scale 1/√D unless given."""
    T, D = q.shape[2], q.shape[3]
    s = (q @ k.transpose(-1, -2)) * (1 / math.sqrt(D) if scale is None else scale)
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    s = s.masked_fill(~mask, float("-inf"))
    return torch.softmax(s, dim=-1) @ v


def gpt2(cfg, p, tokens):
    B, T = tokens.shape
    C, H, L = cfg["n_embd"], cfg["n_head"], cfg["n_layer"]
    eps = cfg.get("layer_norm_epsilon") or 1e-5
    D = C // H
    x = p["wte.weight"][tokens] + p["wpe.weight"][torch.arange(T)]

    def ln(x, name):
        return F.layer_norm(x, (C,), p[name + ".weight"], p[name + ".bias"], eps)

    def conv1d(x, name):  # HF Conv1D: weight [in, out]
        return x @ p[name + ".weight"] + p[name + ".bias"]

    def heads(t):
        return t.view(B, T, H, D).transpose(1, 2)

    for i in range(L):
        pre = f"h.{i}."
        q, k, v = conv1d(ln(x, pre + "ln_1"), pre + "attn.c_attn").split(C, dim=2)
        # GPT2Attention._attn: / sqrt(D) if scale_attn_weights, / (layer_idx + 1) if scale_attn_by_inverse_layer_idx
        scale = 1 / math.sqrt(D) if cfg.get("scale_attn_weights", True) else 1.0
        if cfg.get("scale_attn_by_inverse_layer_idx"):
            scale /= i + 1
        y = causal_attention(heads(q), heads(k), heads(v), scale).transpose(1, 2).reshape(B, T, C)
        x = x + conv1d(y, pre + "attn.c_proj")
        h = F.gelu(conv1d(ln(x, pre + "ln_2"), pre + "mlp.c_fc"), approximate="tanh")
        x = x + conv1d(h, pre + "mlp.c_proj")
    return ln(x, "ln_f") @ p["wte.weight"].T


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def rope_inv_freq(cfg, D):
    """inv_freq [D/2] and the cos/sin factor, after transformers'
    modeling_rope_utils.py (commit 0044e3b3facff1a1ad60b235c69d5b45beae75a4,
    v4.46): default, linear, dynamic (at most max_position_embeddings
    positions: the default), yarn, llama3 and longrope (as later versions
    choose its factors: short_factor within original_max_position_embeddings);
    theta from rope_theta or v5's rope_parameters."""
    params = dict(cfg.get("rope_parameters") or {})
    theta = params.pop("rope_theta", None) or cfg.get("rope_theta") or 10000.0
    scaling = cfg.get("rope_scaling") or params
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    base = theta
    inv_freq = 1.0 / (base ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    attention_factor = 1.0
    if kind in ("default", "dynamic"):
        pass
    elif kind == "linear":
        inv_freq = inv_freq / scaling["factor"]
    elif kind == "yarn":
        factor = scaling["factor"]
        attention_factor = scaling.get("attention_factor") or 0.1 * math.log(factor) + 1.0
        beta_fast = scaling.get("beta_fast") or 32
        beta_slow = scaling.get("beta_slow") or 1
        mpe = cfg["max_position_embeddings"]

        def corr_dim(rot):
            return (D * math.log(mpe / (rot * 2 * math.pi))) / (2 * math.log(base))

        low = max(math.floor(corr_dim(beta_fast)), 0)
        high = min(math.ceil(corr_dim(beta_slow)), D - 1)
        if low == high:
            high += 0.001
        ramp = ((torch.arange(D // 2, dtype=torch.float64) - low) / (high - low)).clamp(0, 1)
        extrapolation = 1 - ramp
        inv_freq = (inv_freq / factor) * (1 - extrapolation) + inv_freq * extrapolation
    elif kind in ("longrope", "su"):  # within the original context: short_factor
        orig = cfg.get("original_max_position_embeddings")
        if orig:
            factor = cfg["max_position_embeddings"] / orig
        else:
            orig, factor = cfg["max_position_embeddings"], scaling.get("factor") or 1.0
        attention_factor = scaling.get("attention_factor")
        if attention_factor is None:
            attention_factor = 1.0 if factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(orig))
        inv_freq = inv_freq / torch.tensor(scaling["short_factor"], dtype=torch.float64)
    elif kind == "llama3":
        factor = scaling["factor"]
        low_f, high_f = scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        low_wave, high_wave = old / low_f, old / high_f
        wave = 2 * math.pi / inv_freq
        scaled = torch.where(wave > low_wave, inv_freq / factor, inv_freq)
        smooth = (old / wave - low_f) / (high_f - low_f)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wave < high_wave) * ~(wave > low_wave)
        inv_freq = torch.where(medium, smoothed, scaled)
    else:
        raise ValueError(kind)
    return inv_freq, attention_factor


def rope_cos_sin(inv_freq, attention_factor, T):
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos() * attention_factor, emb.sin() * attention_factor


def llama(cfg, p, tokens, linear=None):
    """Llama and the families written like it, after transformers'
    modeling_llama.py, modeling_mistral.py, modeling_qwen2.py and
    modeling_qwen3.py, modeling_phi3.py and modeling_gemma.py (v4.51): head_dim; biases (llama: attention_bias on
    q/k/v/o, mlp_bias on the MLP; qwen2: q/k/v always; qwen3:
    attention_bias); qwen2's and qwen3's sliding window under
    use_sliding_window, on layers max_window_layers and later (v4.53's
    layer_types); qwen3's per-head RMSNorm of queries and keys before
    RoPE; mistral's sliding window (key j is seen from query i when
    i - window < j <= i); phi3's fused qkv_proj and gate_up_proj (its
    sliding window is longer than the sequences scored here); gemma's
    GELU(gate)*up, (1 + w) RMSNorms and embeddings times sqrt(hidden);
    gemma2 (modeling_gemma2.py) adds output norms, query_pre_attn_scalar,
    soft-caps of scores and logits and a window on even layers; gemma3_text
    (modeling_gemma3.py) has q/k norms, the window on the layers
    sliding_window_pattern says, and those layers' RoPE at
    rope_local_base_freq. linear(x, name), where given, computes the
    projection called name in place of x @ weight.T + bias."""
    B, T = tokens.shape
    kind = cfg["model_type"]
    C, L = cfg["hidden_size"], cfg["num_hidden_layers"]
    H = cfg["num_attention_heads"]
    K = cfg.get("num_key_value_heads") or H
    eps = cfg.get("rms_norm_eps") or 1e-6
    D = cfg.get("head_dim") or C // H

    def rms(x, name):
        var = x.pow(2).mean(-1, keepdim=True)
        w = p[name + ".weight"]
        if gemma:  # GemmaRMSNorm: x * rsqrt(...) * (1 + w)
            w = 1.0 + w
        return w * (x * torch.rsqrt(var + eps))

    def lin(x, name):  # nn.Linear: weight [out, in], optional bias
        if linear:  # bench/torch_family_eval.py's oneDNN products
            return linear(x, name)
        y = x @ p[name + ".weight"].T
        if name + ".bias" in p:
            y = y + p[name + ".bias"]
        return y

    gemma = kind in ("gemma", "gemma2", "gemma3_text")
    dtype = p["model.embed_tokens.weight"].dtype  # float64 here; bench/torch_family_eval.py runs float32 and bfloat16
    cos_sin = tuple(t.to(dtype) for t in rope_cos_sin(*rope_inv_freq(cfg, D), T))
    if kind == "gemma3_text":  # Gemma3TextModel.rotary_emb_local: default RoPE at rope_local_base_freq
        local = dict(cfg, rope_theta=cfg.get("rope_local_base_freq") or 10000.0, rope_scaling=None, rope_parameters=None)
        cos_sin_local = tuple(t.to(dtype) for t in rope_cos_sin(*rope_inv_freq(local, D), T))
        pattern = cfg.get("sliding_window_pattern") or 6
        sliding = [bool((l + 1) % pattern) for l in range(L)]  # Gemma3Attention.is_sliding
    elif kind == "gemma2":
        sliding = [l % 2 == 0 for l in range(L)]
    elif kind in ("qwen2", "qwen3"):  # configuration_qwen2.py (v4.53 on): layer_types
        first = cfg.get("max_window_layers")
        first = 28 if first is None else first
        sliding = [t == "sliding_attention" for t in cfg["layer_types"]] if cfg.get("layer_types") else [l >= first for l in range(L)]
    else:
        sliding = [True] * L

    causal = torch.ones(T, T, dtype=torch.bool).tril()
    window = cfg.get("sliding_window") if kind in ("mistral", "gemma2", "gemma3_text") else None
    if kind in ("qwen2", "qwen3") and cfg.get("use_sliding_window"):  # else sliding_window is dropped
        window = cfg.get("sliding_window")
    banded = causal
    if window:
        i, j = torch.arange(T).view(T, 1), torch.arange(T).view(1, T)
        banded = causal & (j > i - window)
    scaling = 1 / math.sqrt(D)
    if kind in ("gemma2", "gemma3_text"):  # query_pre_attn_scalar**-0.5
        scaling = cfg["query_pre_attn_scalar"] ** -0.5
    attn_cap = cfg.get("attn_logit_softcapping") if kind in ("gemma2", "gemma3_text") else None

    x = p["model.embed_tokens.weight"][tokens]
    if gemma:  # GemmaModel: embeddings times sqrt(hidden_size)
        x = x * (C**0.5)
    for i in range(L):
        pre = f"model.layers.{i}."
        a = rms(x, pre + "input_layernorm")
        if kind == "phi3":  # modeling_phi3.py: one qkv_proj, sliced
            qkv = lin(a, pre + "self_attn.qkv_proj")
            q, k, v = qkv[..., : H * D], qkv[..., H * D : (H + K) * D], qkv[..., (H + K) * D :]
        else:
            q, k, v = lin(a, pre + "self_attn.q_proj"), lin(a, pre + "self_attn.k_proj"), lin(a, pre + "self_attn.v_proj")
        q, k = q.reshape(B, T, H, D), k.reshape(B, T, K, D)
        v = v.reshape(B, T, K, D).transpose(1, 2)
        if kind in ("qwen3", "gemma3_text"):
            q, k = rms(q, pre + "self_attn.q_norm"), rms(k, pre + "self_attn.k_norm")
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        cos, sin = cos_sin_local if kind == "gemma3_text" and sliding[i] else cos_sin
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // K, dim=1)  # HF repeat_kv
        v = v.repeat_interleave(H // K, dim=1)
        s = (q @ k.transpose(-1, -2)) * scaling
        if attn_cap:  # before the mask, as eager_attention_forward
            s = torch.tanh(s / attn_cap) * attn_cap
        # gemma2: the window on layers 0, 2, 4, ... (is_sliding = not layer_idx % 2)
        mask = banded if sliding[i] else causal
        s = s.masked_fill(~mask, float("-inf"))
        y = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, H * D)
        if kind in ("gemma2", "gemma3_text"):  # Gemma2DecoderLayer: norms around attention and MLP
            x = x + rms(lin(y, pre + "self_attn.o_proj"), pre + "post_attention_layernorm")
            a = rms(x, pre + "pre_feedforward_layernorm")
        else:
            x = x + lin(y, pre + "self_attn.o_proj")
            a = rms(x, pre + "post_attention_layernorm")
        if kind == "phi3":  # one gate_up_proj, chunked: gate first
            gate, up = lin(a, pre + "mlp.gate_up_proj").chunk(2, dim=-1)
        else:
            gate, up = lin(a, pre + "mlp.gate_proj"), lin(a, pre + "mlp.up_proj")
        act = F.gelu(gate, approximate="tanh") if gemma else F.silu(gate)  # gelu_pytorch_tanh
        mlp = lin(act * up, pre + "mlp.down_proj")
        if kind in ("gemma2", "gemma3_text"):
            mlp = rms(mlp, pre + "post_feedforward_layernorm")
        x = x + mlp
    head = p["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else p["lm_head.weight"]
    logits = linear(rms(x, "model.norm"), "lm_head") if linear else rms(x, "model.norm") @ head.T
    final_cap = cfg.get("final_logit_softcapping") if kind in ("gemma2", "gemma3_text") else None
    if final_cap:  # Gemma2ForCausalLM
        logits = torch.tanh(logits / final_cap) * final_cap
    return logits


def main():
    for case in sorted(os.listdir(HERE)):
        d = os.path.join(HERE, case)
        if not os.path.isdir(d):
            continue
        with open(os.path.join(d, "config.json")) as f:
            cfg = json.load(f)
        with open(os.path.join(d, "batch.json")) as f:
            batch = json.load(f)
        p = read_safetensors(os.path.join(d, "init.safetensors"))
        for t in p.values():
            t.requires_grad_(True)
        B, T = batch["B"], batch["T"]
        tokens = torch.tensor(batch["Tokens"]).view(B, T)
        targets = torch.tensor(batch["Targets"]).view(B * T)
        model = {"gpt2": gpt2, "llama": llama, "mistral": llama, "qwen2": llama, "qwen3": llama, "phi3": llama, "gemma": llama, "gemma2": llama, "gemma3_text": llama}[cfg["model_type"]]
        logits = model(cfg, p, tokens)
        loss = F.cross_entropy(logits.reshape(B * T, -1), targets, ignore_index=-100)
        loss.backward()
        out = {"logits": logits, "loss": loss}
        for name, t in p.items():
            out["grad." + name] = t.grad
        # One AdamW step from these gradients: weight decay 0.1 on matrices
        # (two or more dimensions), none on norms and biases.
        named = list(p.items())
        opt = torch.optim.AdamW(
            [{"params": [t for _, t in named if t.dim() >= 2], "weight_decay": 0.1},
             {"params": [t for _, t in named if t.dim() < 2], "weight_decay": 0.0}],
            lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
        opt.step()
        for name, t in named:
            out["after." + name] = t.detach()
        write_safetensors(os.path.join(d, "golden.safetensors"), out)
        print(f"{case}: loss {loss.item():.6f}")


if __name__ == "__main__":
    main()

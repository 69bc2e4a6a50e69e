#!/usr/bin/env python3
"""PyTorch reference for VeRA on stories260K, independent of vera4j.

Reads ../shared/models/stories260K.gguf with a hand-written GGUF parser (numpy), moves the q/k rows back from
llama.cpp's adjacent-pair RoPE layout to Hugging Face's order (the inverse of convert_hf_to_gguf.py's
LlamaModel.permute), runs a plain PyTorch LLaMA forward with Hugging Face's formulas (rotate_half RoPE, RMSNorm,
GQA, SwiGLU), once without and once with PEFT-style VeRA layers on all seven projections:
    y = W x + lambda_b * (B[:out, :] @ (lambda_d * (A[:, :in] @ x)))
with A, B drawn exactly as PEFT's _init_vera_A_vera_B (torch.Generator().manual_seed(projection_prng_key),
_kaiming_init of (r, in_max) then (out_max, r), in_max/out_max the largest in/out over adapted modules).
The lambda vectors are random (fixed seed) in Hugging Face row order, as PEFT stores them.

Writes next to this script:
  stories-vera/adapter_config.json, adapter_model.safetensors   the adapter as PEFT save_pretrained lays it out
                                                                 (save_projection=True, F32)
  stories-vera-logits.txt                                        prompt ids, the base logits at the last position,
                                                                 and the adapted logits at every position
Run: PYTHONHASHSEED=0 python3 peft_vera_reference.py [path/to/stories260K.gguf]
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPT = [1, 385, 328, 432, 261, 370, 268, 315, 418]
RANK = 16
SEED = 20241128
MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
DTYPE_ORDER = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
               "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64"]


# ---------------------------------------------------------------- GGUF (v2/v3, F32 tensors only)
def read_gguf(path):
    data = open(path, "rb").read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return v[0]

    def string():
        nonlocal pos
        n = take("Q")
        s = data[pos:pos + n].decode("utf-8")
        pos += n
        return s

    scalar = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}

    def value(t):
        if t in scalar:
            return take(scalar[t])
        if t == 8:
            return string()
        if t == 9:
            et = take("I")
            n = take("Q")
            return [value(et) for _ in range(n)]
        raise ValueError(f"unknown GGUF value type {t}")

    assert data[:4] == b"GGUF", "not a GGUF file"
    pos = 4
    version = take("I")
    assert version in (2, 3)
    n_tensors = take("Q")
    n_kv = take("Q")
    meta = {}
    for _ in range(n_kv):
        key = string()
        meta[key] = value(take("I"))
    infos = []
    for _ in range(n_tensors):
        name = string()
        nd = take("I")
        shape = [take("Q") for _ in range(nd)]
        ttype = take("I")
        offset = take("Q")
        infos.append((name, shape, ttype, offset))
    align = meta.get("general.alignment", 32)
    base = (pos + align - 1) // align * align
    tensors = {}
    for name, shape, ttype, offset in infos:
        assert ttype == 0, f"{name}: only F32 tensors are supported here"
        n = int(np.prod(shape))
        arr = np.frombuffer(data, dtype="<f4", count=n, offset=base + offset)
        tensors[name] = torch.tensor(arr.reshape(list(reversed(shape))).copy())
    return meta, tensors


def unpermute(w, n_head):
    """Inverse of LlamaModel.permute: w.reshape(n_head, 2, d/2, *).swapaxes(1, 2).reshape(w.shape)."""
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


# ---------------------------------------------------------------- PEFT VeRA pieces
def kaiming_init(shape, generator):
    """peft.tuners.vera.model._kaiming_init."""
    tensor = torch.empty(shape)
    fan = torch.nn.init._calculate_correct_fan(tensor, "fan_in")
    gain = math.sqrt(2)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)


class Linear:
    def __init__(self, weight, vera=None):
        self.weight = weight
        self.vera = vera  # (A, B, lambda_b, lambda_d) or None

    def __call__(self, x):
        y = torch.nn.functional.linear(x, self.weight)
        if self.vera is not None:
            a, b, lb, ld = self.vera
            out_features, in_features = self.weight.shape
            sliced_a = a[:, :in_features]
            sliced_b = b[:out_features, :]
            y = y + lb * torch.nn.functional.linear(ld * torch.nn.functional.linear(x, sliced_a), sliced_b)
        return y


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def forward(cfg, weights, layers, ids):
    n = len(ids)
    hd = cfg["head_dim"]
    x = weights["token_embd.weight"][torch.tensor(ids)]
    inv_freq = 1.0 / (cfg["rope_base"] ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    freqs = torch.outer(torch.arange(n).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.full((n, n), float("-inf")).triu(1)
    for layer in layers:
        h = rms_norm(x, layer["attn_norm"], cfg["eps"])
        q = layer["q"](h).view(n, cfg["heads"], hd).transpose(0, 1)
        k = layer["k"](h).view(n, cfg["kv_heads"], hd).transpose(0, 1)
        v = layer["v"](h).view(n, cfg["kv_heads"], hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        group = cfg["heads"] // cfg["kv_heads"]
        k = k.repeat_interleave(group, dim=0)
        v = v.repeat_interleave(group, dim=0)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(hd) + mask, dim=-1)
        mix = (att @ v).transpose(0, 1).reshape(n, cfg["heads"] * hd)
        x = x + layer["o"](mix)
        h = rms_norm(x, layer["ffn_norm"], cfg["eps"])
        x = x + layer["down"](torch.nn.functional.silu(layer["gate"](h)) * layer["up"](h))
    x = rms_norm(x, weights["output_norm.weight"], cfg["eps"])
    out = weights.get("output.weight", weights["token_embd.weight"])
    return x @ out.T


# ---------------------------------------------------------------- PEFT files
def save_safetensors(tensors, path):
    """safetensors.torch.save_file layout: tensors by descending dtype alignment then name, compact header."""
    order = sorted(tensors, key=lambda n: (-DTYPE_ORDER.index("F32"), n.encode()))
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    blobs = []
    for name in order:
        t = tensors[name].contiguous().numpy().astype("<f4")
        blob = t.tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    torch.set_num_threads(1)
    gguf = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../../../../../../../shared/models/stories260K.gguf")
    meta, w = read_gguf(gguf)
    arch = meta["general.architecture"]
    dim = meta[f"{arch}.embedding_length"]
    heads = meta[f"{arch}.attention.head_count"]
    kv_heads = meta.get(f"{arch}.attention.head_count_kv", heads)
    cfg = {"heads": heads, "kv_heads": kv_heads, "head_dim": dim // heads,
           "eps": meta[f"{arch}.attention.layer_norm_rms_epsilon"],
           "rope_base": meta.get(f"{arch}.rope.freq_base", 10000.0)}
    blocks = meta[f"{arch}.block_count"]
    ff = meta[f"{arch}.feed_forward_length"]

    # Hugging Face-ordered weights, named as in transformers' LlamaForCausalLM
    hf = {}
    for l in range(blocks):
        p = f"blk.{l}."
        hf[(l, "q_proj")] = unpermute(w[p + "attn_q.weight"], heads)
        hf[(l, "k_proj")] = unpermute(w[p + "attn_k.weight"], kv_heads)
        hf[(l, "v_proj")] = w[p + "attn_v.weight"]
        hf[(l, "o_proj")] = w[p + "attn_output.weight"]
        hf[(l, "gate_proj")] = w[p + "ffn_gate.weight"]
        hf[(l, "up_proj")] = w[p + "ffn_up.weight"]
        hf[(l, "down_proj")] = w[p + "ffn_down.weight"]

    # PEFT _find_dim: element-wise largest (out, in) over the adapted modules
    out_max = max(hf[(l, m)].shape[0] for l in range(blocks) for m in MODULES)
    in_max = max(hf[(l, m)].shape[1] for l in range(blocks) for m in MODULES)
    g = torch.Generator(device="cpu").manual_seed(SEED)
    vera_a = kaiming_init((RANK, in_max), g)
    vera_b = kaiming_init((out_max, RANK), g)

    lam = torch.Generator(device="cpu").manual_seed(7)
    lambdas = {}
    for l in range(blocks):
        for m in MODULES:
            out_features = hf[(l, m)].shape[0]
            lb = 0.5 * torch.randn(out_features, generator=lam)
            ld = 0.1 + 0.4 * torch.rand(RANK, generator=lam)
            lambdas[(l, m)] = (lb, ld)

    def build(adapted):
        layers = []
        for l in range(blocks):
            p = f"blk.{l}."

            def lin(m):
                return Linear(hf[(l, m)], (vera_a, vera_b) + lambdas[(l, m)] if adapted else None)

            layers.append({"attn_norm": w[p + "attn_norm.weight"], "ffn_norm": w[p + "ffn_norm.weight"],
                           "q": lin("q_proj"), "k": lin("k_proj"), "v": lin("v_proj"), "o": lin("o_proj"),
                           "gate": lin("gate_proj"), "up": lin("up_proj"), "down": lin("down_proj")})
        return layers

    with torch.no_grad():
        base = forward(cfg, w, build(False), PROMPT)
        adapted = forward(cfg, w, build(True), PROMPT)

    out_dir = os.path.join(HERE, "stories-vera")
    os.makedirs(out_dir, exist_ok=True)
    config = {"auto_mapping": None, "base_model_name_or_path": "stories260K", "bias": "none", "d_initial": 0.1,
              "fan_in_fan_out": False, "inference_mode": True, "init_weights": True, "layers_pattern": None,
              "layers_to_transform": None, "modules_to_save": None, "peft_type": "VERA",
              "projection_prng_key": SEED, "r": RANK, "revision": None, "save_projection": True,
              "target_modules": sorted(MODULES), "task_type": "CAUSAL_LM", "vera_dropout": 0.0}
    with open(os.path.join(out_dir, "adapter_config.json"), "w") as f:
        f.write(json.dumps(config, indent=2, sort_keys=True))
    tensors = {"base_model.vera_A": vera_a, "base_model.vera_B": vera_b}
    for (l, m), (lb, ld) in lambdas.items():
        block = "self_attn" if m in ("q_proj", "k_proj", "v_proj", "o_proj") else "mlp"
        prefix = f"base_model.model.model.layers.{l}.{block}.{m}."
        tensors[prefix + "vera_lambda_b"] = lb
        tensors[prefix + "vera_lambda_d"] = ld
    save_safetensors(tensors, os.path.join(out_dir, "adapter_model.safetensors"))

    with open(os.path.join(HERE, "stories-vera-logits.txt"), "w") as f:
        f.write(f"# peft_vera_reference.py, torch {torch.__version__}: VeRA r={RANK} seed={SEED} on all seven projections\n")
        f.write("prompt_ids: " + " ".join(map(str, PROMPT)) + "\n")
        f.write("base_last: " + " ".join(f"{v:.7g}" for v in base[-1].tolist()) + "\n")
        for t in range(len(PROMPT)):
            f.write(f"adapted_{t}: " + " ".join(f"{v:.7g}" for v in adapted[t].tolist()) + "\n")
    print("max |adapted - base| at last position:", float((adapted[-1] - base[-1]).abs().max()))


if __name__ == "__main__":
    main()

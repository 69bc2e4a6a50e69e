#!/usr/bin/env python3
"""PyTorch autograd reference for vera4j's VeRA training gradients on stories260K.

Reuses ../stories/peft_vera_reference.py (hand-written GGUF reader, q/k un-permutation to Hugging Face order, plain
LLaMA forward with PEFT-style VeRA layers) and its committed PEFT adapter ../stories/stories-vera (r=16, all seven
projections, random lambdas), runs the forward in float64 on a fixed token sequence, takes the summed next-token
cross-entropy over the masked targets divided by their count, and lets autograd differentiate it with respect to
every vera_lambda_b and vera_lambda_d (base weights, A and B frozen).

Writes vera-gradients.txt next to this script:
  tokens: ids (inputs are tokens[0..n), targets tokens[1..n])
  mask: 0/1 per target
  loss: mean loss
  b.LAYER.MODULE: d loss / d lambda_b (Hugging Face row order, as PEFT stores lambda_b)
  d.LAYER.MODULE: d loss / d lambda_d
Run: python3 vera_gradients.py [path/to/stories260K.gguf]
"""
import json
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "stories"))
import peft_vera_reference as ref  # noqa: E402

TOKENS = [1, 385, 328, 432, 261, 370, 268, 315, 418, 290, 261, 400, 300, 330, 270, 280, 410, 265, 402, 299]
MASK = [0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack_from("<Q", data, 0)[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32"
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[8 + n + a:8 + n + b]), dtype=torch.float32).reshape(info["shape"])
        out[name] = t.clone()
    return out


def main():
    torch.set_num_threads(1)
    gguf = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../../../../../../../shared/models/stories260K.gguf")
    meta, w = ref.read_gguf(gguf)
    w = {k: v.double() for k, v in w.items()}
    arch = meta["general.architecture"]
    dim = meta[f"{arch}.embedding_length"]
    heads = meta[f"{arch}.attention.head_count"]
    kv_heads = meta.get(f"{arch}.attention.head_count_kv", heads)
    cfg = {"heads": heads, "kv_heads": kv_heads, "head_dim": dim // heads,
           "eps": meta[f"{arch}.attention.layer_norm_rms_epsilon"],
           "rope_base": meta.get(f"{arch}.rope.freq_base", 10000.0)}
    blocks = meta[f"{arch}.block_count"]
    st = read_safetensors(os.path.join(HERE, "..", "stories", "stories-vera", "adapter_model.safetensors"))
    vera_a = st["base_model.vera_A"].double()
    vera_b = st["base_model.vera_B"].double()
    lambdas = {}
    layers = []
    for l in range(blocks):
        p = f"blk.{l}."
        hf = {"q_proj": ref.unpermute(w[p + "attn_q.weight"], heads), "k_proj": ref.unpermute(w[p + "attn_k.weight"], kv_heads),
              "v_proj": w[p + "attn_v.weight"], "o_proj": w[p + "attn_output.weight"], "gate_proj": w[p + "ffn_gate.weight"],
              "up_proj": w[p + "ffn_up.weight"], "down_proj": w[p + "ffn_down.weight"]}
        layer = {"attn_norm": w[p + "attn_norm.weight"], "ffn_norm": w[p + "ffn_norm.weight"]}
        for m, key in [("q_proj", "q"), ("k_proj", "k"), ("v_proj", "v"), ("o_proj", "o"), ("gate_proj", "gate"),
                       ("up_proj", "up"), ("down_proj", "down")]:
            block = "self_attn" if m in ("q_proj", "k_proj", "v_proj", "o_proj") else "mlp"
            prefix = f"base_model.model.model.layers.{l}.{block}.{m}."
            lb = st[prefix + "vera_lambda_b"].double().requires_grad_(True)
            ld = st[prefix + "vera_lambda_d"].double().requires_grad_(True)
            lambdas[(l, m)] = (lb, ld)
            layer[key] = ref.Linear(hf[m], (vera_a, vera_b, lb, ld))
        layers.append(layer)
    n = len(TOKENS) - 1
    logits = ref.forward(cfg, w, layers, TOKENS[:n])
    targets = torch.tensor(TOKENS[1:])
    mask = torch.tensor(MASK, dtype=torch.float64)
    losses = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
    loss = (losses * mask).sum() / mask.sum()
    loss.backward()
    with open(os.path.join(HERE, "vera-gradients.txt"), "w") as f:
        f.write(f"# vera_gradients.py, torch {torch.__version__}, float64: d(mean masked next-token loss)/d lambda\n")
        f.write("tokens: " + " ".join(map(str, TOKENS)) + "\n")
        f.write("mask: " + " ".join(map(str, MASK)) + "\n")
        f.write(f"loss: {loss.item():.17g}\n")
        for (l, m), (lb, ld) in lambdas.items():
            f.write(f"b.{l}.{m}: " + " ".join(f"{v:.9g}" for v in lb.grad.tolist()) + "\n")
            f.write(f"d.{l}.{m}: " + " ".join(f"{v:.9g}" for v in ld.grad.tolist()) + "\n")
    print("loss", loss.item())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch autograd reference for vera4j's LoRA training gradients on stories260K.

Reuses ../stories/peft_vera_reference.py (hand-written GGUF reader, q/k un-permutation to Hugging Face order, plain
LLaMA forward) with PEFT-style LoRA layers (y = W x + scale * B (A x)) and the committed PEFT LoRA adapter
../lora/stories-lora-peft (r=4, rsLoRA alpha 4: scale 2, all seven projections, random A and B; made by
scripts/lora_reference.py), runs the forward in float64 on vera_gradients.py's token sequence and mask, and lets
autograd differentiate the mean masked next-token loss with respect to every lora_A and lora_B (base frozen).

Writes lora-gradients.txt next to this script:
  tokens, mask, loss: as vera-gradients.txt
  a.LAYER.MODULE: d loss / d lora_A, row-major [r, in]
  b.LAYER.MODULE: d loss / d lora_B, row-major [out, r] (Hugging Face row order)
Run: /usr/bin/python3 lora_gradients.py [path/to/stories260K.gguf]
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


class LoraLinear:
    def __init__(self, weight, a, b, scale):
        self.weight, self.a, self.b, self.scale = weight, a, b, scale

    def __call__(self, x):
        return torch.nn.functional.linear(x, self.weight) + self.scale * torch.nn.functional.linear(
            torch.nn.functional.linear(x, self.a), self.b)


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
    peft = os.path.join(HERE, "..", "lora", "stories-lora-peft")
    st = read_safetensors(os.path.join(peft, "adapter_model.safetensors"))
    config = json.load(open(os.path.join(peft, "adapter_config.json")))
    r = config["r"]
    scale = config["lora_alpha"] / (r ** 0.5 if config.get("use_rslora") else r)
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
            a = st[prefix + "lora_A.weight"].double().requires_grad_(True)
            b = st[prefix + "lora_B.weight"].double().requires_grad_(True)
            lambdas[(l, m)] = (a, b)
            layer[key] = LoraLinear(hf[m], a, b, scale)
        layers.append(layer)
    n = len(TOKENS) - 1
    logits = ref.forward(cfg, w, layers, TOKENS[:n])
    targets = torch.tensor(TOKENS[1:])
    mask = torch.tensor(MASK, dtype=torch.float64)
    losses = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
    loss = (losses * mask).sum() / mask.sum()
    loss.backward()
    with open(os.path.join(HERE, "lora-gradients.txt"), "w") as f:
        f.write(f"# lora_gradients.py, torch {torch.__version__}, float64: d(mean masked next-token loss)/d lora_A, lora_B\n")
        f.write("tokens: " + " ".join(map(str, TOKENS)) + "\n")
        f.write("mask: " + " ".join(map(str, MASK)) + "\n")
        f.write(f"loss: {loss.item():.17g}\n")
        for (l, m), (a, b) in lambdas.items():
            f.write(f"a.{l}.{m}: " + " ".join(f"{v:.9g}" for v in a.grad.flatten().tolist()) + "\n")
            f.write(f"b.{l}.{m}: " + " ".join(f"{v:.9g}" for v in b.grad.flatten().tolist()) + "\n")
    print("loss", loss.item())


if __name__ == "__main__":
    main()

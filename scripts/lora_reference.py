#!/usr/bin/env python3
"""Reference data for vera4j's LoRA support, made with llama.cpp.

Writes, for stories260K:
  stories-lora.gguf        (into a temporary folder: not committed; the tests write it again from stories-lora-peft/
                           with vera4j's own writer) a llama.cpp LoRA adapter (general.type=adapter, adapter.type=lora, adapter.lora.alpha,
                           tensors blk.N.<part>.weight.lora_a [r, in] / .lora_b [out, r]) with random A and B on
                           q, k, v, o, gate, up and down of every layer; r = 4, alpha = 8 (scale alpha/r = 2)
  stories-lora-peft/       the same adapter as a Hugging Face PEFT LoRA directory: lora_B rows of q/k moved back to
                           Hugging Face's order (the inverse of convert_hf_to_gguf.py's permute), and rsLoRA with
                           lora_alpha = 4 so that alpha/sqrt(r) is the same scale 2
  stories-lora-reference.txt
                           greedy ids of llama-cli (--temp 0) for each prompt without an adapter, with
                           --lora (weight 1.0) and with --lora-scaled ... 0.5

Usage (numpy and llama.cpp's gguf-py; llama.cpp built elsewhere, e.g. /work/llama.cpp/build/bin):
  python3 scripts/lora_reference.py --llama /work/llama.cpp --model ../shared/models/stories260K.gguf \\
      --out vera/src/test/resources/dev/vera4j/vera/lora
"""
import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import types

import numpy as np

PROMPTS = ["Once upon a time", "The little dog"]
N_TOKENS = 24
RANK = 4
ALPHA = 8.0
TARGETS = [("attn_q", "self_attn.q_proj"), ("attn_k", "self_attn.k_proj"), ("attn_v", "self_attn.v_proj"),
           ("attn_output", "self_attn.o_proj"), ("ffn_gate", "mlp.gate_proj"), ("ffn_up", "mlp.up_proj"),
           ("ffn_down", "mlp.down_proj")]


def gguf_module(llama):
    # gguf-py imports sentencepiece for vocabularies it does not need here
    sp = types.ModuleType("sentencepiece")
    sp.SentencePieceProcessor = None
    sys.modules.setdefault("sentencepiece", sp)
    sys.path.insert(0, os.path.join(llama, "gguf-py"))
    import gguf
    return gguf


def hf_rows_from_gguf(rows, head_dim):
    """Inverse of convert_hf_to_gguf.py's LlamaModel.permute: GGUF row 2i <- HF row i, 2i+1 <- HF row d/2+i per head."""
    out = np.empty_like(rows)
    n = rows.shape[0]
    half = head_dim // 2
    for hf in range(n):
        head, i = divmod(hf, head_dim)
        g = head * head_dim + (2 * i if i < half else 2 * (i - half) + 1)
        out[hf] = rows[g]
    return out


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, arr in tensors:
        data = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def greedy_ids(cli, model, prompt, lora_args):
    cmd = [cli, "-m", model, "-p", prompt, "-n", str(N_TOKENS + 1), "--temp", "0", "--seed", "0", "-no-cnv", "-v",
           "-t", "1", "-c", "256"] + lora_args
    text = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=True, timeout=300).stdout
    evals = re.findall(r"eval: \[(.*?)\]\n", text)
    ids = [[int(x) for x in re.findall(r":(\d+)(?=,|\s*$)", e)] for e in evals]
    prompt_ids, generated = ids[0], [i for e in ids[1:] for i in e]
    if len(generated) < N_TOKENS:
        raise SystemExit(f"llama-cli gave {len(generated)} ids for {prompt!r} {lora_args}")
    return prompt_ids, generated[:N_TOKENS]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--llama", default="/work/llama.cpp")
    ap.add_argument("--model", default="../shared/models/stories260K.gguf")
    ap.add_argument("--out", default="vera/src/test/resources/dev/vera4j/vera/lora")
    args = ap.parse_args()
    gguf = gguf_module(args.llama)
    reader = gguf.GGUFReader(args.model)
    shapes = {t.name: (int(t.shape[1]) if len(t.shape) > 1 else 1, int(t.shape[0])) for t in reader.tensors}
    layers = int(reader.fields["llama.block_count"].parts[-1][0])
    heads = int(reader.fields["llama.attention.head_count"].parts[-1][0])
    dim = int(reader.fields["llama.embedding_length"].parts[-1][0])
    head_dim = dim // heads

    rng = np.random.default_rng(20)
    os.makedirs(args.out, exist_ok=True)
    lora_path = os.path.join(tempfile.mkdtemp(), "stories-lora.gguf")
    w = gguf.GGUFWriter(lora_path, "llama")
    w.add_string("general.type", "adapter")
    w.add_string("adapter.type", "lora")
    w.add_float32("adapter.lora.alpha", ALPHA)
    peft = []
    for layer in range(layers):
        for part, module in TARGETS:
            out_dim, in_dim = shapes[f"blk.{layer}.{part}.weight"]
            a = (rng.standard_normal((RANK, in_dim)) / np.sqrt(in_dim)).astype(np.float32)
            b = (rng.standard_normal((out_dim, RANK)) * 0.05).astype(np.float32)
            w.add_tensor(f"blk.{layer}.{part}.weight.lora_a", a)
            w.add_tensor(f"blk.{layer}.{part}.weight.lora_b", b)
            hf_b = hf_rows_from_gguf(b, head_dim) if part in ("attn_q", "attn_k") else b
            prefix = f"base_model.model.model.layers.{layer}.{module}"
            peft.append((prefix + ".lora_A.weight", a))
            peft.append((prefix + ".lora_B.weight", hf_b))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    peft_dir = os.path.join(args.out, "stories-lora-peft")
    os.makedirs(peft_dir, exist_ok=True)
    config = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": "stories260K", "r": RANK,
              "lora_alpha": ALPHA / np.sqrt(RANK), "use_rslora": True, "lora_dropout": 0.0, "bias": "none",
              "fan_in_fan_out": False, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                                          "up_proj", "down_proj"],
              "rank_pattern": {}, "alpha_pattern": {}, "layers_to_transform": None, "modules_to_save": None,
              "inference_mode": True}
    with open(os.path.join(peft_dir, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2)
    write_safetensors(os.path.join(peft_dir, "adapter_model.safetensors"), peft)

    cli = os.path.join(args.llama, "build", "bin", "llama-cli")
    lines = ["# greedy ids from llama-cli --temp 0 (" + os.path.basename(args.model) + "), made by scripts/lora_reference.py",
             f"# adapter: stories-lora.gguf, r={RANK}, alpha={ALPHA}; weight 0 = no adapter"]
    for prompt in PROMPTS:
        for weight, extra in ((0.0, []), (1.0, ["--lora", lora_path]), (0.5, ["--lora-scaled", lora_path, "0.5"])):
            ids, gen = greedy_ids(cli, args.model, prompt, extra)
            lines.append(f"{prompt}|{weight}|{' '.join(map(str, ids))}|{' '.join(map(str, gen))}")
    with open(os.path.join(args.out, "stories-lora-reference.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes two tiny PEFT VeRA adapter directories laid out exactly as PEFT's save_pretrained does, for PeftImporterTest,
and next to each an expected-values.txt listing every tensor's values as float32 bits.

adapter_config.json: json.dumps(config, indent=2, sort_keys=True), as peft.config.PeftConfigMixin.save_pretrained.
adapter_model.safetensors: as safetensors.torch.save_file(state_dict, path, metadata={"format": "pt"}): tensors
sorted by descending dtype alignment then name, compact JSON header (__metadata__ first) padded with spaces to a
multiple of 8 bytes, u64 little-endian header length.

tiny-vera-saved:  save_projection=true, F32, target_modules q_proj/v_proj/down_proj, 2 layers of a model with hidden 8,
                  4 kv dims (v_proj 8 -> 4), intermediate 12 (down_proj 12 -> 8); r=4, so vera_A [4, 12], vera_B [8, 4].
tiny-vera-seeded: save_projection=false, BF16 lambdas, target_modules regex on q_proj/k_proj, layers_to_transform [1].
tiny-vera-saved-delta.txt: PEFT's forward adapter term for tiny-vera-saved on one random input per site, in float64.
Run: python3 make_tiny_adapters.py   (rewrites all of these next to this script)
"""
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
R = 4
SHAPES = {"q_proj": ("self_attn", 8, 8), "k_proj": ("self_attn", 8, 4), "v_proj": ("self_attn", 8, 4),
          "down_proj": ("mlp", 12, 8)}
DTYPE_ORDER = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
               "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64"]


def to_bf16_bytes(values):
    bits = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")
    return rounded.tobytes()


def save_file(tensors, path, metadata):
    """tensors: name -> (dtype, shape, bytes)."""
    order = sorted(tensors, key=lambda n: (-DTYPE_ORDER.index(tensors[n][0]), n.encode()))
    header = {"__metadata__": metadata}
    offset = 0
    for name in order:
        dtype, shape, data = tensors[name]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in order:
            f.write(tensors[name][2])


def config(**overrides):
    c = {"auto_mapping": None, "base_model_name_or_path": "tiny-llama", "bias": "none", "d_initial": 0.1,
         "fan_in_fan_out": False, "inference_mode": True, "init_weights": True, "layers_pattern": None,
         "layers_to_transform": None, "modules_to_save": None, "peft_type": "VERA", "projection_prng_key": 0,
         "r": R, "revision": None, "save_projection": True, "target_modules": [], "task_type": "CAUSAL_LM",
         "vera_dropout": 0.0, "peft_version": "0.17.1"}
    c.update(overrides)
    return c


def write_expected(out_dir, tensors):
    """expected-values.txt: per tensor, name, dtype and every value as float32 bits in hex (widened from BF16)."""
    with open(os.path.join(out_dir, "expected-values.txt"), "w") as w:
        for name in sorted(tensors):
            dtype, _, data = tensors[name]
            if dtype == "F32":
                bits = np.frombuffer(data, dtype="<u4")
            else:
                bits = np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16
            w.write(name + " " + " ".join(f"{int(x):08x}" for x in bits) + "\n")


def write_adapter(name, cfg, layers, modules, lam_dtype, rng, with_projection):
    out_dir = os.path.join(HERE, name)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "adapter_config.json"), "w") as w:
        w.write(json.dumps(cfg, indent=2, sort_keys=True))
    tensors = {}
    for layer in layers:
        for module in modules:
            block, fan_in, fan_out = SHAPES[module]
            prefix = f"base_model.model.model.layers.{layer}.{block}.{module}."
            for suffix, n in (("vera_lambda_b", fan_out), ("vera_lambda_d", R)):
                values = rng.standard_normal(n).astype(np.float32)
                data = values.astype("<f4").tobytes() if lam_dtype == "F32" else to_bf16_bytes(values)
                tensors[prefix + suffix] = (lam_dtype, (n,), data)
    if with_projection:
        in_max = max(SHAPES[m][1] for m in modules)
        out_max = max(SHAPES[m][2] for m in modules)
        a = rng.uniform(-1, 1, (R, in_max)).astype("<f4")
        b = rng.uniform(-1, 1, (out_max, R)).astype("<f4")
        tensors["base_model.vera_A"] = ("F32", a.shape, a.tobytes())
        tensors["base_model.vera_B"] = ("F32", b.shape, b.tobytes())
    save_file(tensors, os.path.join(out_dir, "adapter_model.safetensors"), {"format": "pt"})
    write_expected(out_dir, tensors)
    return tensors


def write_deltas(path, tensors, layers, modules, rng):
    """PEFT's Linear.forward adapter term in float64 for one random input per site:
    lambda_b * (B[:out, :] @ (lambda_d * (A[:, :in] @ x))). One line per site:
    layer module | x as float32 hex bits | dy as Python float reprs."""
    a = np.frombuffer(tensors["base_model.vera_A"][2], dtype="<f4").reshape(tensors["base_model.vera_A"][1])
    b = np.frombuffer(tensors["base_model.vera_B"][2], dtype="<f4").reshape(tensors["base_model.vera_B"][1])
    with open(path, "w") as w:
        for layer in layers:
            for module in modules:
                block, fan_in, fan_out = SHAPES[module]
                prefix = f"base_model.model.model.layers.{layer}.{block}.{module}."
                lb = np.frombuffer(tensors[prefix + "vera_lambda_b"][2], dtype="<f4").astype(np.float64)
                ld = np.frombuffer(tensors[prefix + "vera_lambda_d"][2], dtype="<f4").astype(np.float64)
                x = rng.standard_normal(fan_in).astype(np.float32)
                a_l = a[:, :fan_in].astype(np.float64)
                b_l = b[:fan_out, :].astype(np.float64)
                dy = lb * (b_l @ (ld * (a_l @ x.astype(np.float64))))
                w.write(f"{layer} {module} | " + " ".join(f"{int(v):08x}" for v in x.view(np.uint32))
                        + " | " + " ".join(repr(float(v)) for v in dy) + "\n")


def main():
    rng = np.random.default_rng(20240611)
    saved = write_adapter("tiny-vera-saved", config(target_modules=["v_proj", "q_proj", "down_proj"]), [0, 1],
                          ["q_proj", "v_proj", "down_proj"], "F32", rng, True)
    write_adapter("tiny-vera-seeded",
                  config(target_modules=r".*\.(q_proj|k_proj)$", layers_to_transform=[1], save_projection=False,
                         projection_prng_key=12345, d_initial=0.05, base_model_name_or_path="tïny-llama"),
                  [1], ["q_proj", "k_proj"], "BF16", rng, False)
    write_deltas(os.path.join(HERE, "tiny-vera-saved-delta.txt"), saved, [0, 1], ["q_proj", "v_proj", "down_proj"], rng)


if __name__ == "__main__":
    main()

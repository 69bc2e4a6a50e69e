#!/usr/bin/env python3
"""PyTorch baseline for on-device VeRA fine-tuning: times training steps of a llama GGUF model with PEFT-style VeRA.

Loads a llama-architecture GGUF (F32, F16, Q8_0 and Q4_0 tensors, dequantized to float32) with a small GGUF parser
and numpy, builds a plain PyTorch LLaMA forward (RMSNorm, RoPE, GQA, SwiGLU, tied or separate output) and wraps the
chosen projections in VeRA exactly as PEFT does:

    y = W x + λ_b ⊙ (B[:out] · (λ_d ⊙ (A[:, :in] · x)))

with A [r, in_max] and B [out_max, r] drawn, A first, from a CPU generator seeded with --seed using PEFT's
kaiming-uniform init (bound = sqrt(6 / fan_in)); λ_d = 0.1. Only the λ vectors are trainable; all base weights and
A/B are frozen. λ_b starts at zero in PEFT, which makes the first steps degenerate; for timing it is small random
values (--lambda-b-std) so every gradient is nontrivial.

One step = forward over --seq tokens + next-token cross-entropy + backward + AdamW on the λ's. After one warm-up
step, --steps steps are timed; the script prints one JSON line with the median tokens/s and the peak RSS
(resource.getrusage ru_maxrss).

GGUF stores q/k rows of llama models permuted for llama.cpp's adjacent-pair RoPE (convert_hf_to_gguf.py
LlamaModel.permute). They are un-permuted here to Hugging Face order, so RoPE is the half-split form and the VeRA
B/λ_b rows on q/k line up with PEFT's.

Examples:
    /usr/bin/python3 scripts/torch_vera_train_step.py --model /work/models/llama3-1b-Q8_0.gguf \\
        --targets q,v --rank 256 --seq 256 --steps 3 --threads 2 --seed 0
    # forward check against reference logits (λ_b = 0): exits 1 if the max abs difference exceeds --tol
    /usr/bin/python3 scripts/torch_vera_train_step.py --model ../shared/models/stories260K.gguf \\
        --check ../shared/testdata/reference/stories260K.once-upon-a-time.txt
"""
import argparse
import json
import math
import resource
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------------------- GGUF

GGUF_F32, GGUF_F16, GGUF_Q4_0, GGUF_Q8_0 = 0, 1, 2, 8
BLOCK = 32
BLOCK_BYTES = {GGUF_Q4_0: 2 + 16, GGUF_Q8_0: 2 + 32}
SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
TYPE_STRING, TYPE_ARRAY = 8, 9


class GgufError(Exception):
    pass


class Gguf:
    """Header, metadata and tensor directory of a GGUF file; tensor data is read on demand (not mmapped, so the
    quantized file does not add to the resident set once a tensor is dequantized)."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self._f = f
            if f.read(4) != b"GGUF":
                raise GgufError(f"{path}: not a GGUF file (bad magic)")
            version, n_tensors, n_kv = struct.unpack("<IQQ", f.read(20))
            if version not in (2, 3):
                raise GgufError(f"{path}: unsupported GGUF version {version}")
            self.meta = {}
            for _ in range(n_kv):
                key = self._string()
                self.meta[key] = self._value(self._u32())
            self.tensors = {}
            for _ in range(n_tensors):
                name = self._string()
                n_dims = self._u32()
                dims = struct.unpack(f"<{n_dims}Q", f.read(8 * n_dims))
                ttype = self._u32()
                offset = struct.unpack("<Q", f.read(8))[0]
                self.tensors[name] = (dims, ttype, offset)
            align = self.meta.get("general.alignment", 32)
            pos = f.tell()
            self.data_start = (pos + align - 1) // align * align
        del self._f

    def _u32(self):
        return struct.unpack("<I", self._f.read(4))[0]

    def _string(self):
        n = struct.unpack("<Q", self._f.read(8))[0]
        return self._f.read(n).decode("utf-8", errors="replace")

    def _value(self, vtype):
        if vtype == TYPE_STRING:
            return self._string()
        if vtype == TYPE_ARRAY:
            etype = self._u32()
            n = struct.unpack("<Q", self._f.read(8))[0]
            if etype == TYPE_STRING:
                # vocabularies and merges are not needed: skip them without decoding
                for _ in range(n):
                    self._f.seek(struct.unpack("<Q", self._f.read(8))[0], 1)
                return f"<{n} strings>"
            if etype not in SCALAR:
                raise GgufError(f"{self.path}: unsupported array element type {etype}")
            fmt = SCALAR[etype]
            size = struct.calcsize(fmt)
            return list(struct.unpack(f"<{n}{fmt[1]}", self._f.read(n * size)))
        if vtype not in SCALAR:
            raise GgufError(f"{self.path}: unsupported metadata value type {vtype}")
        fmt = SCALAR[vtype]
        return struct.unpack(fmt, self._f.read(struct.calcsize(fmt)))[0]

    def has(self, name):
        return name in self.tensors

    def tensor(self, name):
        """The tensor as a float32 torch tensor of shape reversed(dims) (row-major, last dim = GGUF ne[0])."""
        if name not in self.tensors:
            raise GgufError(f"{self.path}: missing tensor '{name}'")
        dims, ttype, offset = self.tensors[name]
        count = math.prod(dims)
        shape = tuple(reversed(dims))
        start = self.data_start + offset
        if ttype == GGUF_F32:
            out = np.fromfile(self.path, dtype="<f4", count=count, offset=start)
        elif ttype == GGUF_F16:
            out = np.fromfile(self.path, dtype="<f2", count=count, offset=start).astype(np.float32)
        elif ttype in BLOCK_BYTES:
            if dims[0] % BLOCK:
                raise GgufError(f"{self.path}: tensor '{name}' row length {dims[0]} is not a multiple of {BLOCK}")
            out = self._dequantize(ttype, start, count // BLOCK)
        else:
            raise GgufError(f"{self.path}: tensor '{name}' has unsupported type {ttype} (F32, F16, Q8_0, Q4_0)")
        return torch.from_numpy(out.reshape(shape))

    def _dequantize(self, ttype, start, n_blocks):
        out = np.empty(n_blocks * BLOCK, dtype=np.float32)
        chunk = 1 << 16  # blocks per read: bounds the temporaries to a few MB
        with open(self.path, "rb") as f:
            f.seek(start)
            for b0 in range(0, n_blocks, chunk):
                nb = min(chunk, n_blocks - b0)
                raw = np.frombuffer(f.read(nb * BLOCK_BYTES[ttype]), dtype=np.uint8).reshape(nb, BLOCK_BYTES[ttype])
                d = raw[:, :2].copy().view("<f2").astype(np.float32)  # [nb, 1]
                if ttype == GGUF_Q8_0:
                    q = raw[:, 2:].view(np.int8).astype(np.float32)
                else:  # Q4_0: low nibbles are elements 0..15, high nibbles 16..31, value (q - 8) * d
                    qs = raw[:, 2:]
                    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
                out[b0 * BLOCK:(b0 + nb) * BLOCK] = (q * d).reshape(-1)
        return out


# ---------------------------------------------------------------------------------------------------------- model

class Config:
    def __init__(self, g):
        arch = g.meta.get("general.architecture")
        if arch != "llama":
            raise GgufError(f"{g.path}: architecture '{arch}' is not supported (llama only)")
        m = g.meta

        def need(key):
            if key not in m:
                raise GgufError(f"{g.path}: missing metadata key '{key}'")
            return m[key]

        self.dim = need("llama.embedding_length")
        self.layers = need("llama.block_count")
        self.heads = need("llama.attention.head_count")
        self.kv_heads = m.get("llama.attention.head_count_kv", self.heads)
        self.ffn = need("llama.feed_forward_length")
        self.eps = need("llama.attention.layer_norm_rms_epsilon")
        self.head_dim = m.get("llama.attention.key_length", self.dim // self.heads)
        self.rope_base = m.get("llama.rope.freq_base", 10000.0)
        rope_dim = m.get("llama.rope.dimension_count", self.head_dim)
        if rope_dim != self.head_dim:
            raise GgufError(f"{g.path}: partial RoPE (dimension_count {rope_dim} != head size {self.head_dim})")
        scaling = m.get("llama.rope.scaling.type", "linear" if "llama.rope.scale_linear" in m else "none")
        self.rope_linear = 1.0
        self.rope_scaling = scaling
        if scaling == "linear":
            self.rope_linear = m.get("llama.rope.scaling.factor", m.get("llama.rope.scale_linear", 1.0))
        elif scaling not in ("none", "llama3"):
            raise GgufError(f"{g.path}: RoPE scaling '{scaling}' is not supported")
        self.llama3 = (m.get("llama.rope.scaling.factor", 1.0), m.get("llama.rope.scaling.low_freq_factor", 1.0),
                       m.get("llama.rope.scaling.high_freq_factor", 4.0),
                       m.get("llama.rope.scaling.original_context_length", 8192))


def unpermute(w, heads):
    """Inverse of convert_hf_to_gguf.py LlamaModel.permute: GGUF q/k rows back to Hugging Face order."""
    out, inp = w.shape
    return w.reshape(heads, out // heads // 2, 2, inp).transpose(1, 2).reshape(out, inp).contiguous()


def rope_inv_freq(cfg, g):
    d = cfg.head_dim
    inv = 1.0 / (cfg.rope_base ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    if g.has("rope_freqs.weight"):  # llama.cpp divides each frequency by these factors (Llama-3.1 scaling)
        inv = inv / g.tensor("rope_freqs.weight").to(torch.float64)
    elif cfg.rope_scaling == "llama3":  # Meta's apply_scaling, when the file carries only the parameters
        factor, low, high, orig = cfg.llama3
        wavelen = 2 * math.pi / inv
        smooth = (orig / wavelen - low) / (high - low)
        scaled = torch.where(wavelen < orig / high, inv,
                             torch.where(wavelen > orig / low, inv / factor, (1 - smooth) * inv / factor + smooth * inv))
        inv = scaled
    return (inv / cfg.rope_linear).to(torch.float32)


def rope_tables(inv_freq, seq):
    angles = torch.outer(torch.arange(seq, dtype=torch.float32), inv_freq)  # [seq, d/2]
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    """Half-split (Hugging Face / NEOX) rotation of x [batch, heads, seq, d]."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


TARGETS = ("q", "k", "v", "o", "gate", "up", "down")
GGUF_NAME = {"q": "attn_q", "k": "attn_k", "v": "attn_v", "o": "attn_output",
             "gate": "ffn_gate", "up": "ffn_up", "down": "ffn_down"}


def kaiming_uniform(shape, generator):
    """PEFT's VeRA _kaiming_init: uniform(-b, b) with b = sqrt(3) * sqrt(2) / sqrt(fan_in)."""
    t = torch.empty(shape)
    bound = math.sqrt(3.0) * math.sqrt(2.0) / math.sqrt(shape[1])
    with torch.no_grad():
        return t.uniform_(-bound, bound, generator=generator)


class VeraLinear(torch.nn.Module):
    """A frozen linear layer with PEFT's VeRA delta: y = W x + λ_b ⊙ (B[:out] · (λ_d ⊙ (A[:, :in] · x)))."""

    def __init__(self, weight, vera_a, vera_b, lambda_b, d_initial):
        super().__init__()
        self.weight = torch.nn.Parameter(weight, requires_grad=False)
        out_f, in_f = weight.shape
        self.a = vera_a[:, :in_f]  # views of the shared frozen projections
        self.b = vera_b[:out_f, :]
        self.lambda_d = torch.nn.Parameter(torch.full((vera_a.shape[0],), d_initial))
        self.lambda_b = torch.nn.Parameter(lambda_b)

    def forward(self, x):
        return F.linear(x, self.weight) + self.lambda_b * F.linear(self.lambda_d * F.linear(x, self.a), self.b)


class FrozenLinear(torch.nn.Module):
    def __init__(self, weight):
        super().__init__()
        self.weight = torch.nn.Parameter(weight, requires_grad=False)

    def forward(self, x):
        return F.linear(x, self.weight)


class Llama(torch.nn.Module):
    def __init__(self, g, targets, rank, seed, lambda_b_std, d_initial=0.1):
        super().__init__()
        cfg = Config(g)
        self.cfg = cfg
        shapes = {"q": (cfg.heads * cfg.head_dim, cfg.dim), "k": (cfg.kv_heads * cfg.head_dim, cfg.dim),
                  "v": (cfg.kv_heads * cfg.head_dim, cfg.dim), "o": (cfg.dim, cfg.heads * cfg.head_dim),
                  "gate": (cfg.ffn, cfg.dim), "up": (cfg.ffn, cfg.dim), "down": (cfg.dim, cfg.ffn)}
        # PEFT sizes the shared A/B by the largest adapted layer and draws A, then B, from one seeded generator
        self.vera_a = self.vera_b = None
        if targets:
            in_max = max(shapes[t][1] for t in targets)
            out_max = max(shapes[t][0] for t in targets)
            gen = torch.Generator(device="cpu").manual_seed(seed)
            self.vera_a = kaiming_uniform((rank, in_max), gen)
            self.vera_b = kaiming_uniform((out_max, rank), gen)
        lb_gen = torch.Generator(device="cpu").manual_seed(seed + 1)

        def linear(layer, t):
            w = g.tensor(f"blk.{layer}.{GGUF_NAME[t]}.weight")
            if w.shape != shapes[t]:
                raise GgufError(f"{g.path}: blk.{layer}.{GGUF_NAME[t]}.weight has shape {tuple(w.shape)}, "
                                f"expected {shapes[t]}")
            if t in ("q", "k"):
                w = unpermute(w, cfg.heads if t == "q" else cfg.kv_heads)
            if t not in targets:
                return FrozenLinear(w)
            lb = torch.randn(w.shape[0], generator=lb_gen) * lambda_b_std
            return VeraLinear(w, self.vera_a, self.vera_b, lb, d_initial)

        self.embed = g.tensor("token_embd.weight")
        self.blocks = torch.nn.ModuleList()
        for i in range(cfg.layers):
            blk = torch.nn.Module()
            blk.attn_norm = g.tensor(f"blk.{i}.attn_norm.weight")
            blk.ffn_norm = g.tensor(f"blk.{i}.ffn_norm.weight")
            for t in TARGETS:
                setattr(blk, t, linear(i, t))
            self.blocks.append(blk)
        self.norm = g.tensor("output_norm.weight")
        self.output = g.tensor("output.weight") if g.has("output.weight") else self.embed
        self.inv_freq = rope_inv_freq(cfg, g)

    def forward(self, ids):
        cfg = self.cfg
        bsz, seq = ids.shape
        cos, sin = rope_tables(self.inv_freq, seq)
        mask = torch.full((seq, seq), float("-inf")).triu(1)
        group = cfg.heads // cfg.kv_heads
        scale = 1.0 / math.sqrt(cfg.head_dim)
        x = F.embedding(ids, self.embed)
        for blk in self.blocks:
            h = rms_norm(x, blk.attn_norm, cfg.eps)
            q = blk.q(h).view(bsz, seq, cfg.heads, cfg.head_dim).transpose(1, 2)
            k = blk.k(h).view(bsz, seq, cfg.kv_heads, cfg.head_dim).transpose(1, 2)
            v = blk.v(h).view(bsz, seq, cfg.kv_heads, cfg.head_dim).transpose(1, 2)
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
            k = k.repeat_interleave(group, dim=1)
            v = v.repeat_interleave(group, dim=1)
            att = torch.softmax(q @ k.transpose(-1, -2) * scale + mask, dim=-1)
            a = (att @ v).transpose(1, 2).reshape(bsz, seq, cfg.heads * cfg.head_dim)
            x = x + blk.o(a)
            h = rms_norm(x, blk.ffn_norm, cfg.eps)
            x = x + blk.down(F.silu(blk.gate(h)) * blk.up(h))
        return F.linear(rms_norm(x, self.norm, cfg.eps), self.output)

    def lambdas(self):
        return [p for p in self.parameters() if p.requires_grad]


# ---------------------------------------------------------------------------------------------------------- runs

def rss_now_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kilobytes on Linux


def read_reference(path):
    """The prompt ids and last-position logits of a tests/reference file (lines 'prompt_ids: ...', 'logits: ...')."""
    fields = {}
    with open(path) as f:
        for line in f:
            if not line.startswith("#") and ":" in line:
                key, _, value = line.partition(":")
                fields[key.strip()] = value.split()
    if "prompt_ids" not in fields or "logits" not in fields:
        raise ValueError(f"{path}: needs 'prompt_ids:' and 'logits:' lines")
    return [int(t) for t in fields["prompt_ids"]], torch.tensor([float(v) for v in fields["logits"]])


def check(model, path, tol):
    ids, expected = read_reference(path)
    for blk in model.blocks:  # λ_b = 0 makes every adapted layer its base layer
        for t in TARGETS:
            lin = getattr(blk, t)
            if isinstance(lin, VeraLinear):
                with torch.no_grad():
                    lin.lambda_b.zero_()
    with torch.no_grad():
        logits = model(torch.tensor([ids]))[0, -1]
    if logits.shape != expected.shape:
        raise ValueError(f"{path}: {expected.numel()} reference logits, model has vocabulary {logits.numel()}")
    diff = (logits - expected).abs().max().item()
    return {"check": path, "prompt_ids": ids, "max_abs_diff": diff, "tol": tol, "ok": diff <= tol,
            "argmax": int(logits.argmax()), "reference_argmax": int(expected.argmax())}


def train(model, seq, steps, lr, seed):
    vocab = model.output.shape[0]
    gen = torch.Generator(device="cpu").manual_seed(seed + 2)
    tokens = torch.randint(0, vocab, (1, seq + 1), generator=gen)
    inputs, labels = tokens[:, :-1], tokens[:, 1:]
    opt = torch.optim.AdamW(model.lambdas(), lr=lr)
    times, losses = [], []
    for _ in range(steps + 1):  # the first is the warm-up
        t0 = time.perf_counter()
        logits = model(inputs)
        loss = F.cross_entropy(logits.view(-1, vocab), labels.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
        losses.append(loss.item())
    timed = times[1:]
    return {"tokens_per_s": seq / statistics.median(timed), "step_s": [round(t, 4) for t in timed],
            "warmup_s": round(times[0], 4), "loss": [round(v, 5) for v in losses]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="llama-architecture GGUF (F32/F16/Q8_0/Q4_0 tensors)")
    ap.add_argument("--targets", default="q,v", help=f"comma-separated VeRA targets from {','.join(TARGETS)}")
    ap.add_argument("--rank", type=int, default=256)
    ap.add_argument("--seq", type=int, default=256, help="tokens per training step")
    ap.add_argument("--steps", type=int, default=3, help="timed steps (after one warm-up step)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0, help="VeRA projection seed (PEFT projection_prng_key)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lambda-b-std", type=float, default=1e-3,
                    help="std of the random initial λ_b for timing (PEFT starts at 0)")
    ap.add_argument("--check", metavar="REFERENCE",
                    help="instead of training, compare last-position logits (λ_b = 0) with a reference file")
    ap.add_argument("--tol", type=float, default=1e-3, help="max abs logit difference for --check")
    args = ap.parse_args(argv)

    targets = [t for t in args.targets.split(",") if t]
    bad = [t for t in targets if t not in TARGETS]
    if bad or len(set(targets)) != len(targets):
        ap.error(f"--targets: unknown or repeated {bad or targets} (choose from {','.join(TARGETS)})")
    if args.rank <= 0 or args.seq <= 0 or args.steps <= 0 or args.threads <= 0:
        ap.error("--rank, --seq, --steps and --threads must be positive")
    torch.set_num_threads(args.threads)

    t0 = time.perf_counter()
    try:
        g = Gguf(args.model)
        model = Llama(g, targets, args.rank, args.seed, args.lambda_b_std)
    except (GgufError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except (struct.error, ValueError) as e:  # a file cut short or with inconsistent sizes
        print(f"error: {args.model}: malformed GGUF ({e})", file=sys.stderr)
        return 1
    load_s = time.perf_counter() - t0
    result = {"model": args.model, "targets": targets, "rank": args.rank, "threads": args.threads,
              "torch": torch.__version__, "load_s": round(load_s, 2), "rss_after_load_mb": round(rss_now_mb(), 1)}
    if args.check:
        try:
            result.update(check(model, args.check, args.tol))
        except (OSError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        result["peak_rss_mb"] = round(peak_rss_mb(), 1)
        print(json.dumps(result))
        return 0 if result["ok"] else 1
    result.update({"seq": args.seq, "steps": args.steps, "seed": args.seed,
                   "trainable_params": sum(p.numel() for p in model.lambdas())})
    result.update(train(model, args.seq, args.steps, args.lr, args.seed))
    result["tokens_per_s"] = round(result["tokens_per_s"], 3)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Tiny random llama/qwen2/qwen3 GGUF models and their logits from an independent numpy forward pass.

The reference follows Hugging Face transformers' modeling code (LlamaForCausalLM, Qwen2ForCausalLM,
Qwen3ForCausalLM): rotate_half RoPE on HF-layout weights, Llama-3.1 inv_freq scaling, q/k biases, q/k RMSNorm,
grouped-query attention, SwiGLU, tied embeddings. The GGUF files hold the weights the way llama.cpp's
convert_hf_to_gguf.py writes them (for llama: q/k rows permuted so that adjacent-pair RoPE equals rotate_half;
rope_freqs.weight with the Llama-3 frequency factors).

The weights come from SplitMix64 (TinyModels.java in the engine tests draws the same numbers in the same order), so
only the expected logits are committed: the tests write the GGUF files themselves. Run: python3 make_tiny_models.py
[--gguf DIR] (writes the .expected.txt files next to itself; with --gguf also the GGUF files, to compare with Java's).
"""
import os
import struct
import sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- the weights' generator (mirrored in TinyModels.java)
M64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & M64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & M64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def uniform(self, *shape):
        """float32 in [-1, 1): the top 24 bits, exactly representable."""
        n = int(np.prod(shape))
        return np.array([(self.next() >> 40) * 2.0 ** -23 - 1.0 for _ in range(n)], dtype=np.float32).reshape(shape)

    def below(self, bound):
        return self.next() % bound


# ---------------------------------------------------------------- minimal GGUF v3 writer
T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR = 4, 5, 6, 7, 8, 9


def _str(s):
    b = s.encode()
    return struct.pack('<Q', len(b)) + b


def _value(v):
    if isinstance(v, bool):
        return struct.pack('<I', T_BOOL) + struct.pack('<?', v)
    if isinstance(v, int):
        return struct.pack('<I', T_U32) + struct.pack('<I', v)
    if isinstance(v, float):
        return struct.pack('<I', T_F32) + struct.pack('<f', v)
    if isinstance(v, str):
        return struct.pack('<I', T_STR) + _str(v)
    if isinstance(v, list):
        if all(isinstance(x, str) for x in v):
            return struct.pack('<II', T_ARR, T_STR) + struct.pack('<Q', len(v)) + b''.join(_str(x) for x in v)
        if all(isinstance(x, float) for x in v):
            return struct.pack('<II', T_ARR, T_F32) + struct.pack('<Q', len(v)) + struct.pack('<%df' % len(v), *v)
        return struct.pack('<II', T_ARR, T_I32) + struct.pack('<Q', len(v)) + struct.pack('<%di' % len(v), *v)
    raise TypeError(v)


def write_gguf(path, meta, tensors, align=32):
    out = bytearray(b'GGUF' + struct.pack('<IQQ', 3, len(tensors), len(meta)))
    for k, v in meta.items():
        out += _str(k) + _value(v)
    offset, blobs = 0, []
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        shape = list(reversed(arr.shape))  # ggml: innermost first
        out += _str(name) + struct.pack('<I', len(shape)) + struct.pack('<%dQ' % len(shape), *shape)
        out += struct.pack('<IQ', 0, offset)  # F32
        blob = arr.tobytes()
        blobs.append(blob)
        offset += (len(blob) + align - 1) // align * align
    out += b'\0' * ((-len(out)) % align)
    for blob in blobs:
        out += blob + b'\0' * ((-len(blob)) % align)
    with open(path, 'wb') as f:
        f.write(out)


# ---------------------------------------------------------------- reference forward (HF formulas, float64)
def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def llama3_inv_freq(base, dim, factor, low, high, orig):
    inv = 1.0 / base ** (np.arange(0, dim, 2) / dim)
    low_wl, high_wl = orig / low, orig / high
    wl = 2 * np.pi / inv
    scaled = np.where(wl > low_wl, inv / factor, inv)
    smooth = (orig / wl - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wl < high_wl) & ~(wl > low_wl)
    return np.where(medium, smoothed, scaled)


def forward(c, w, ids):
    n = len(ids)
    hd, H, KV = c['head_dim'], c['heads'], c['kv_heads']
    x = w['embed'][ids].astype(np.float64)
    pos = np.arange(n)[:, None] * w['inv_freq'][None, :]
    emb = np.concatenate([pos, pos], axis=-1)
    cos, sin = np.cos(emb), np.sin(emb)
    mask = np.triu(np.full((n, n), -np.inf), 1)
    for L in w['layers']:
        h = rms_norm(x, L['attn_norm'], c['eps'])
        q = h @ L['wq'].T + L.get('bq', 0)
        k = h @ L['wk'].T + L.get('bk', 0)
        v = h @ L['wv'].T + L.get('bv', 0)
        q = q.reshape(n, H, hd).transpose(1, 0, 2)
        k = k.reshape(n, KV, hd).transpose(1, 0, 2)
        v = v.reshape(n, KV, hd).transpose(1, 0, 2)
        if 'q_norm' in L:
            q = rms_norm(q, L['q_norm'], c['eps'])
            k = rms_norm(k, L['k_norm'], c['eps'])
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = np.repeat(k, H // KV, axis=0)
        v = np.repeat(v, H // KV, axis=0)
        s = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        o = (p @ v).transpose(1, 0, 2).reshape(n, H * hd)
        x = x + o @ L['wo'].T
        h = rms_norm(x, L['ffn_norm'], c['eps'])
        g = h @ L['gate'].T
        x = x + ((g / (1 + np.exp(-g))) * (h @ L['up'].T)) @ L['down'].T
    x = rms_norm(x, w['out_norm'], c['eps'])
    return x @ w['output'].T


# ---------------------------------------------------------------- models
def permute(wt, n_head):  # convert_hf_to_gguf.py LlamaModel.permute
    return wt.reshape(n_head, 2, wt.shape[0] // n_head // 2, *wt.shape[1:]).swapaxes(1, 2).reshape(wt.shape)


def make(name, arch, seed, dim=32, ffn=48, vocab=64, layers=2, heads=4, kv_heads=2, head_dim=None,
         bias=False, qk_norm=False, tied=False, llama3=None, base=10000.0):
    rng = SplitMix64(seed)
    hd = head_dim or dim // heads
    c = dict(head_dim=hd, heads=heads, kv_heads=kv_heads, eps=1e-6)
    r = lambda *s: rng.uniform(*s) * np.float32(0.5)
    nrm = lambda n: np.float32(1) + np.float32(0.3) * rng.uniform(n)
    w = dict(embed=r(vocab, dim), out_norm=nrm(dim), layers=[])
    w['output'] = w['embed'] if tied else r(vocab, dim)
    for _ in range(layers):
        L = dict(attn_norm=nrm(dim), wq=r(heads * hd, dim), wk=r(kv_heads * hd, dim), wv=r(kv_heads * hd, dim),
                 wo=r(dim, heads * hd), ffn_norm=nrm(dim), gate=r(ffn, dim), up=r(ffn, dim), down=r(dim, ffn))
        if bias:
            L.update(bq=r(heads * hd), bk=r(kv_heads * hd), bv=r(kv_heads * hd))
        if qk_norm:
            L.update(q_norm=nrm(hd), k_norm=nrm(hd))
        w['layers'].append(L)
    base_inv = 1.0 / base ** (np.arange(0, hd, 2) / hd)
    w['inv_freq'] = llama3_inv_freq(base, hd, *llama3) if llama3 else base_inv

    meta = {'general.architecture': arch, 'general.name': name,
            arch + '.context_length': 64, arch + '.embedding_length': dim, arch + '.block_count': layers,
            arch + '.feed_forward_length': ffn, arch + '.attention.head_count': heads,
            arch + '.attention.head_count_kv': kv_heads, arch + '.rope.freq_base': base,
            arch + '.attention.layer_norm_rms_epsilon': c['eps'],
            'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.tokens': ['t%d' % i for i in range(vocab)]}
    if head_dim:
        meta[arch + '.attention.key_length'] = hd
        meta[arch + '.attention.value_length'] = hd
    t = {'token_embd.weight': w['embed'], 'output_norm.weight': w['out_norm']}
    if not tied:
        t['output.weight'] = w['output']
    if llama3:
        t['rope_freqs.weight'] = (base_inv / w['inv_freq']).astype(np.float32)
    for i, L in enumerate(w['layers']):
        p = 'blk.%d.' % i
        norm_rope = arch in ('llama', 'mistral')
        t[p + 'attn_norm.weight'] = L['attn_norm']
        t[p + 'attn_q.weight'] = permute(L['wq'], heads) if norm_rope else L['wq']
        t[p + 'attn_k.weight'] = permute(L['wk'], kv_heads) if norm_rope else L['wk']
        t[p + 'attn_v.weight'] = L['wv']
        t[p + 'attn_output.weight'] = L['wo']
        if bias:
            t[p + 'attn_q.bias'], t[p + 'attn_k.bias'], t[p + 'attn_v.bias'] = L['bq'], L['bk'], L['bv']
        if qk_norm:
            t[p + 'attn_q_norm.weight'], t[p + 'attn_k_norm.weight'] = L['q_norm'], L['k_norm']
        t[p + 'ffn_norm.weight'] = L['ffn_norm']
        t[p + 'ffn_gate.weight'], t[p + 'ffn_up.weight'], t[p + 'ffn_down.weight'] = L['gate'], L['up'], L['down']
    if GGUF_DIR:
        write_gguf(os.path.join(GGUF_DIR, name + '.gguf'), meta, t)

    ids = [rng.below(vocab) for _ in range(7)]
    logits = forward(c, w, ids)
    with open(os.path.join(HERE, name + '.expected.txt'), 'w') as f:
        f.write('# %s: logits of every prompt position, numpy float64 forward pass (make_tiny_models.py)\n' % name)
        f.write('prompt_ids: %s\n' % ' '.join(map(str, ids)))
        for row in logits:
            f.write('logits: %s\n' % ' '.join('%.6f' % v for v in row))
    if llama3:
        with open(os.path.join(HERE, name + '.rope-divisors.txt'), 'w') as f:
            f.write('# factor low_freq_factor high_freq_factor original_context base rope_dim, then base/scaled per pair\n')
            f.write('params: %s %s %s %s %s %d\n' % (*llama3, base, hd))
            f.write('divisors: %s\n' % ' '.join('%.7f' % v for v in base_inv / w['inv_freq']))


GGUF_DIR = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == '--gguf' else None
make('tiny-llama3', 'llama', 1, dim=64, heads=4, kv_heads=2, tied=True, llama3=(8.0, 1.0, 4.0, 64), base=500000.0)
make('tiny-qwen2', 'qwen2', 2, bias=True, tied=True, base=1000000.0)
make('tiny-qwen3', 'qwen3', 3, heads=4, kv_heads=2, head_dim=16, qk_norm=True)
make('tiny-mistral', 'mistral', 4, heads=4, kv_heads=1)

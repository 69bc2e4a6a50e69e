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


def gemma_rms_norm(x, raw, eps):
    """Gemma2RMSNorm / Gemma3RMSNorm: the checkpoint holds w - 1 (llama.cpp's converter adds the 1 back)."""
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * (1.0 + raw)


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def gelu_tanh(x):  # transformers' gelu_pytorch_tanh
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def silu(x):
    return x / (1 + np.exp(-x))


def softmax(s):
    p = np.exp(s - s.max(-1, keepdims=True))
    return p / p.sum(-1, keepdims=True)


def llama3_inv_freq(base, dim, factor, low, high, orig):
    inv = 1.0 / base ** (np.arange(0, dim, 2) / dim)
    low_wl, high_wl = orig / low, orig / high
    wl = 2 * np.pi / inv
    scaled = np.where(wl > low_wl, inv / factor, inv)
    smooth = (orig / wl - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wl < high_wl) & ~(wl > low_wl)
    return np.where(medium, smoothed, scaled)


def rope_tables(inv_freq, n, attention_factor=1.0):
    pos = np.arange(n)[:, None] * inv_freq[None, :]
    emb = np.concatenate([pos, pos], axis=-1)
    return np.cos(emb) * attention_factor, np.sin(emb) * attention_factor


def apply_rope(x, cos, sin):
    """rotate_half on the first 2·len(inv_freq) dims of each head (partial rotary), the rest passes through."""
    r = cos.shape[-1]
    rot, rest = x[..., :r], x[..., r:]
    return np.concatenate([rot * cos + rotate_half(rot) * sin, rest], axis=-1)


ROUTING_GAP = [np.inf]


def sparse_moe(c, L, h):
    """MixtralSparseMoeBlock / Qwen2MoeSparseMoeBlock / Qwen3MoeSparseMoeBlock: softmax routing in float, top-k, the
    chosen weights renormalized when norm_topk_prob, experts' SwiGLU outputs summed with them; Qwen2-MoE adds
    sigmoid(shared_expert_gate(h)) * shared_expert(h)."""
    probs = softmax(h @ L['router'].T)
    out = np.zeros_like(h)
    k = c['moe']['used']
    for t in range(h.shape[0]):
        ranked = np.sort(probs[t])[::-1]
        ROUTING_GAP[0] = min(ROUTING_GAP[0], ranked[k - 1] - ranked[k])  # a near tie would make the choice fragile
        top = np.argsort(-probs[t], kind='stable')[:k]
        wts = probs[t, top]
        if c['moe']['normalize']:
            wts = wts / wts.sum()
        for e, wt in zip(top, wts):
            x = h[t]
            out[t] += wt * ((silu(L['exp_gate'][e] @ x) * (L['exp_up'][e] @ x)) @ L['exp_down'][e].T)
    if 'sh_gate' in L:
        shared = (silu(h @ L['sh_gate'].T) * (h @ L['sh_up'].T)) @ L['sh_down'].T
        out += 1 / (1 + np.exp(-(h @ L['sh_gate_inp'][:, None]))) * shared
    return out


def forward(c, w, ids, long_rope=False):
    n = len(ids)
    hd, H, KV, eps = c['head_dim'], c['heads'], c['kv_heads'], c['eps']
    gemma = c.get('gemma', False)
    norm = (lambda x, wt: gemma_rms_norm(x, wt - 1.0, eps)) if gemma else (lambda x, wt: rms_norm(x, wt, eps))
    x = w['embed'][ids].astype(np.float64)
    if gemma:
        x = x * np.sqrt(c['dim'])  # Gemma*ScaledWordEmbedding / the normalizer
    inv_global = w['inv_freq_long'] if long_rope else w['inv_freq']
    global_rope = rope_tables(inv_global, n, c.get('attention_factor', 1.0))
    local_rope = rope_tables(w['inv_freq_local'], n) if 'inv_freq_local' in w else global_rope
    causal = np.triu(np.full((n, n), -np.inf), 1)
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    sliding = np.where(i - j >= c.get('window', n + 1), -np.inf, 0.0) + causal
    for li, L in enumerate(w['layers']):
        is_sliding = c.get('window') is not None and (c['global_every'] == 0 or (li + 1) % c['global_every'] != 0)
        cos, sin = local_rope if is_sliding else global_rope
        h = norm(x, L['attn_norm'])
        q = h @ L['wq'].T + L.get('bq', 0)
        k = h @ L['wk'].T + L.get('bk', 0)
        v = h @ L['wv'].T + L.get('bv', 0)
        q = q.reshape(n, H, hd).transpose(1, 0, 2)
        k = k.reshape(n, KV, hd).transpose(1, 0, 2)
        v = v.reshape(n, KV, hd).transpose(1, 0, 2)
        if 'q_norm' in L:
            q = norm(q, L['q_norm'])
            k = norm(k, L['k_norm'])
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        k = np.repeat(k, H // KV, axis=0)
        v = np.repeat(v, H // KV, axis=0)
        s = q @ k.transpose(0, 2, 1) * c.get('scaling', hd ** -0.5)
        if c.get('attn_softcap'):
            s = np.tanh(s / c['attn_softcap']) * c['attn_softcap']
        s = s + (sliding if is_sliding else causal)
        o = (softmax(s) @ v).transpose(1, 0, 2).reshape(n, H * hd) @ L['wo'].T
        if gemma:
            o = norm(o, L['attn_post_norm'])
        x = x + o
        h = norm(x, L['ffn_norm'])
        if 'router' in L:
            f = sparse_moe(c, L, h)
        else:
            act = gelu_tanh if gemma else silu
            f = (act(h @ L['gate'].T) * (h @ L['up'].T)) @ L['down'].T
        if gemma:
            f = norm(f, L['ffn_post_norm'])
        x = x + f
    logits = norm(x, w['out_norm']) @ w['output'].T
    if c.get('final_softcap'):
        logits = np.tanh(logits / c['final_softcap']) * c['final_softcap']
    return logits


def greedy(c, w, ids, steps, long_rope=False):
    """Greedy continuation by full recomputation; also the smallest gap between the best two logits seen."""
    ids, gap = list(ids), np.inf
    for _ in range(steps):
        last = forward(c, w, ids, long_rope)[-1]
        top = np.sort(last)[-2:]
        gap = min(gap, top[1] - top[0])
        ids.append(int(np.argmax(last)))
    return ids[-steps:], gap


# ---------------------------------------------------------------- models
def permute(wt, n_head):  # convert_hf_to_gguf.py LlamaModel.permute
    return wt.reshape(n_head, 2, wt.shape[0] // n_head // 2, *wt.shape[1:]).swapaxes(1, 2).reshape(wt.shape)


def make(name, arch, seed, dim=32, ffn=48, vocab=64, layers=2, heads=4, kv_heads=2, head_dim=None,
         bias=False, qk_norm=False, tied=False, llama3=None, base=10000.0, gemma=None, window=None, local_base=None,
         linear=None, fused=False, longrope=None, moe=None, rope_dim=None, llamacpp=False):
    """gemma: (query_pre_attn_scalar, attn_softcap or None, final_softcap or None); window: (size, global_every);
    local_base: the sliding layers' RoPE base; linear: the global layers' linear RoPE factor; fused: Phi-3's qkv and
    gate_up tensors; longrope: (original_context, long prompt length); moe: (experts, used, expert_ff, normalize,
    shared_ff or 0); llamacpp: llama.cpp's snapshot runs this architecture (see --llamacpp)."""
    rng = SplitMix64(seed)
    hd = head_dim or dim // heads
    rd = rope_dim or hd
    context = 4 * longrope[0] if longrope else 64
    c = dict(head_dim=hd, heads=heads, kv_heads=kv_heads, eps=1e-6, dim=dim)
    r = lambda *s: rng.uniform(*s) * np.float32(0.5)
    nrm = lambda n: np.float32(1) + np.float32(0.3) * rng.uniform(n)
    w = dict(embed=r(vocab, dim), out_norm=nrm(dim), layers=[])
    w['output'] = w['embed'] if tied else r(vocab, dim)
    for _ in range(layers):
        L = dict(attn_norm=nrm(dim), wq=r(heads * hd, dim), wk=r(kv_heads * hd, dim), wv=r(kv_heads * hd, dim),
                 wo=r(dim, heads * hd), ffn_norm=nrm(dim))
        if moe:
            E, _, eff, _, sff = moe
            L.update(router=r(E, dim), exp_gate=r(E, eff, dim), exp_up=r(E, eff, dim), exp_down=r(E, dim, eff))
        else:
            L.update(gate=r(ffn, dim), up=r(ffn, dim), down=r(dim, ffn))
        if bias:
            L.update(bq=r(heads * hd), bk=r(kv_heads * hd), bv=r(kv_heads * hd))
        if qk_norm:
            L.update(q_norm=nrm(hd), k_norm=nrm(hd))
        if gemma:
            L.update(attn_post_norm=nrm(dim), ffn_post_norm=nrm(dim))
        if moe and moe[4]:
            L.update(sh_gate_inp=r(dim), sh_gate=r(moe[4], dim), sh_up=r(moe[4], dim), sh_down=r(dim, moe[4]))
        w['layers'].append(L)
    base_inv = 1.0 / base ** (np.arange(0, rd, 2) / rd)
    w['inv_freq'] = llama3_inv_freq(base, rd, *llama3) if llama3 else base_inv / (linear or 1.0)
    if local_base:
        w['inv_freq_local'] = 1.0 / local_base ** (np.arange(0, rd, 2) / rd)
    if longrope:
        short = np.float32(1) + np.float32(0.05) * (rng.uniform(rd // 2) + np.float32(1))
        long_ = np.float32(1) + np.float32(4) * (rng.uniform(rd // 2) + np.float32(1))
        # Phi3 LongRoPE (transformers _compute_longrope_parameters): inv_freq = 1 / (ext_factors * base^(2i/d))
        w['inv_freq'], w['inv_freq_long'] = base_inv / short, base_inv / long_
        factor = context / longrope[0]
        c['attention_factor'] = np.sqrt(1 + np.log(factor) / np.log(longrope[0]))
    if gemma:
        c.update(gemma=True, scaling=gemma[0] ** -0.5, attn_softcap=gemma[1], final_softcap=gemma[2])
    if window:
        c.update(window=window[0], global_every=window[1])
    if moe:
        c['moe'] = dict(used=moe[1], normalize=moe[3])

    meta = {'general.architecture': arch, 'general.name': name,
            arch + '.context_length': context, arch + '.embedding_length': dim, arch + '.block_count': layers,
            arch + '.feed_forward_length': ffn, arch + '.attention.head_count': heads,
            arch + '.attention.head_count_kv': kv_heads, arch + '.rope.freq_base': base,
            arch + '.attention.layer_norm_rms_epsilon': c['eps'],
            'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.tokens': ['t%d' % i for i in range(vocab)]}
    if head_dim:
        meta[arch + '.attention.key_length'] = hd
        meta[arch + '.attention.value_length'] = hd
    if rope_dim:
        meta[arch + '.rope.dimension_count'] = rd
    if gemma:
        if gemma[1]:
            meta[arch + '.attn_logit_softcapping'] = float(gemma[1])
            meta[arch + '.final_logit_softcapping'] = float(gemma[2])
        if gemma[0] != hd:
            meta[arch + '.attention.scale'] = float(np.float32(gemma[0] ** -0.5))
    if window:
        meta[arch + '.attention.sliding_window'] = window[0]
    if local_base:
        meta[arch + '.rope.freq_base_swa'] = float(local_base)
    if linear:
        meta[arch + '.rope.scaling.type'] = 'linear'
        meta[arch + '.rope.scaling.factor'] = float(linear)
    if longrope:
        meta[arch + '.rope.scaling.original_context_length'] = longrope[0]
        meta[arch + '.rope.scaling.attn_factor'] = float(np.float32(c['attention_factor']))
    if moe:
        meta[arch + '.expert_count'] = moe[0]
        meta[arch + '.expert_used_count'] = moe[1]
        if arch != 'llama':
            meta[arch + '.expert_feed_forward_length'] = moe[2]
        if moe[4]:
            meta[arch + '.expert_shared_feed_forward_length'] = moe[4]
    t = {'token_embd.weight': w['embed'], 'output_norm.weight': w['out_norm']}
    if not tied:
        t['output.weight'] = w['output']
    if llama3:
        t['rope_freqs.weight'] = (base_inv / w['inv_freq']).astype(np.float32)
    if longrope:
        t['rope_factors_short.weight'], t['rope_factors_long.weight'] = short, long_
    for i, L in enumerate(w['layers']):
        p = 'blk.%d.' % i
        norm_rope = arch in ('llama', 'mistral')
        t[p + 'attn_norm.weight'] = L['attn_norm']
        wq = permute(L['wq'], heads) if norm_rope else L['wq']
        wk = permute(L['wk'], kv_heads) if norm_rope else L['wk']
        if fused:
            t[p + 'attn_qkv.weight'] = np.concatenate([wq, wk, L['wv']])
        else:
            t[p + 'attn_q.weight'], t[p + 'attn_k.weight'], t[p + 'attn_v.weight'] = wq, wk, L['wv']
        t[p + 'attn_output.weight'] = L['wo']
        if bias:
            t[p + 'attn_q.bias'], t[p + 'attn_k.bias'], t[p + 'attn_v.bias'] = L['bq'], L['bk'], L['bv']
        if qk_norm:
            t[p + 'attn_q_norm.weight'], t[p + 'attn_k_norm.weight'] = L['q_norm'], L['k_norm']
        if gemma:
            t[p + 'post_attention_norm.weight'], t[p + 'post_ffw_norm.weight'] = L['attn_post_norm'], L['ffn_post_norm']
        t[p + 'ffn_norm.weight'] = L['ffn_norm']
        if moe:
            t[p + 'ffn_gate_inp.weight'] = L['router']
            t[p + 'ffn_gate_exps.weight'], t[p + 'ffn_up_exps.weight'] = L['exp_gate'], L['exp_up']
            t[p + 'ffn_down_exps.weight'] = L['exp_down']
            if moe[4]:
                t[p + 'ffn_gate_inp_shexp.weight'] = L['sh_gate_inp']
                t[p + 'ffn_gate_shexp.weight'], t[p + 'ffn_up_shexp.weight'] = L['sh_gate'], L['sh_up']
                t[p + 'ffn_down_shexp.weight'] = L['sh_down']
        elif fused:
            t[p + 'ffn_up.weight'], t[p + 'ffn_down.weight'] = np.concatenate([L['gate'], L['up']]), L['down']
        else:
            t[p + 'ffn_gate.weight'], t[p + 'ffn_up.weight'], t[p + 'ffn_down.weight'] = L['gate'], L['up'], L['down']
    if GGUF_DIR:
        write_gguf(os.path.join(GGUF_DIR, name + '.gguf'), meta, t)

    ids = [rng.below(vocab) for _ in range(7)]
    ROUTING_GAP[0] = np.inf
    logits = forward(c, w, ids)
    cont, gap = greedy(c, w, ids, 6)
    with open(os.path.join(HERE, name + '.expected.txt'), 'w') as f:
        f.write('# %s: logits of every prompt position, numpy float64 forward pass (make_tiny_models.py)\n' % name)
        f.write('prompt_ids: %s\n' % ' '.join(map(str, ids)))
        for row in logits:
            f.write('logits: %s\n' % ' '.join('%.6f' % v for v in row))
        f.write('# greedy continuation (full recomputation); smallest top-2 logit gap %.4f\n' % gap)
        if moe:
            f.write('# smallest gap between the last chosen and the first unchosen expert probability %.4f\n' % ROUTING_GAP[0])
        f.write('greedy_ids: %s\n' % ' '.join(map(str, cont)))
        long_ids = [rng.below(vocab) for _ in range(longrope[1])] if longrope else None
        if longrope:
            f.write('# a prompt longer than the original context %d: the long factors\n' % longrope[0])
            f.write('long_prompt_ids: %s\n' % ' '.join(map(str, long_ids)))
            f.write('long_logits: %s\n' % ' '.join('%.6f' % v for v in forward(c, w, long_ids, True)[-1]))
    if LLAMACPP and llamacpp:
        llamacpp_logits(name, meta, t, ids, vocab, long_ids if longrope else None)
    if llama3:
        with open(os.path.join(HERE, name + '.rope-divisors.txt'), 'w') as f:
            f.write('# factor low_freq_factor high_freq_factor original_context base rope_dim, then base/scaled per pair\n')
            f.write('params: %s %s %s %s %s %d\n' % (*llama3, base, hd))
            f.write('divisors: %s\n' % ' '.join('%.7f' % v for v in base_inv / w['inv_freq']))


def llamacpp_logits(name, meta, tensors, ids, vocab, long_ids):
    """The same model with no tokenizer (llama.cpp's 'none' vocabulary: token ids go in directly) through llama.cpp's
    libllama (llamacpp_logits.c, built here): logits of every prompt position, and for LongRoPE the long prompt's
    last position with a context beyond the original one."""
    import subprocess
    tool = os.path.join(LLAMACPP, 'llamacpp_logits')
    if not os.path.exists(tool):
        subprocess.check_call(['gcc', '-O2', os.path.join(HERE, 'llamacpp_logits.c'), '-I', LLAMACPP_ROOT + '/include',
                               '-I', LLAMACPP_ROOT + '/ggml/include', '-L', LLAMACPP_ROOT + '/build/bin', '-lllama',
                               '-Wl,-rpath,' + LLAMACPP_ROOT + '/build/bin', '-o', tool])
    m = {k: v for k, v in meta.items() if not k.startswith('tokenizer.')}
    m['tokenizer.ggml.model'] = 'none'
    m[meta['general.architecture'] + '.vocab_size'] = vocab
    path = os.path.join(LLAMACPP, name + '.gguf')
    write_gguf(path, m, tensors)
    run = lambda ctx, tokens: subprocess.run([tool, path, str(ctx)] + [str(i) for i in tokens], check=True,
                                             capture_output=True, text=True).stdout.strip().split('\n')
    with open(os.path.join(HERE, name + '.llamacpp.txt'), 'w') as f:
        f.write('# %s: logits of every prompt position from llama.cpp %s (llamacpp_logits.c: 1 thread, F32 KV cache, '
                'context 256)\n' % (name, LLAMACPP_VERSION))
        f.write('prompt_ids: %s\n' % ' '.join(map(str, ids)))
        for line in run(256, ids):
            f.write('logits: %s\n' % line)
        if long_ids:
            f.write('# the long prompt in a context of 512 (beyond the original context: the long factors)\n')
            f.write('long_prompt_ids: %s\n' % ' '.join(map(str, long_ids)))
            f.write('long_logits: %s\n' % run(512, long_ids)[-1])


GGUF_DIR = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == '--gguf' else None
# --llamacpp DIR: also llama.cpp's logits (built at LLAMA_CPP, default /work/llama.cpp) into <name>.llamacpp.txt
LLAMACPP = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == '--llamacpp' else None
LLAMACPP_ROOT = os.environ.get('LLAMA_CPP', '/work/llama.cpp')
LLAMACPP_VERSION = ''
if LLAMACPP:
    import subprocess
    LLAMACPP_VERSION = subprocess.run([LLAMACPP_ROOT + '/build/bin/llama-cli', '--version'], capture_output=True,
                                      text=True).stderr.split('\n')[0]
make('tiny-llama3', 'llama', 1, dim=64, heads=4, kv_heads=2, tied=True, llama3=(8.0, 1.0, 4.0, 64), base=500000.0,
     llamacpp=True)
make('tiny-qwen2', 'qwen2', 2, bias=True, tied=True, base=1000000.0, llamacpp=True)
make('tiny-qwen3', 'qwen3', 3, heads=4, kv_heads=2, head_dim=16, qk_norm=True)
make('tiny-mistral', 'mistral', 4, heads=4, kv_heads=1)
# Gemma 2: head size 16 beside dim/heads 8, query_pre_attn_scalar 24, caps small enough to bite, a window of 3 on
# layer 0 (layer 1 global)
make('tiny-gemma2', 'gemma2', 5, heads=4, kv_heads=2, head_dim=16, tied=True, gemma=(24, 4.0, 3.0), window=(3, 2))
# Gemma 3: five local layers (window 3, RoPE base 10 000) then a global one (base 1e6, linear factor 8), q/k norms
make('tiny-gemma3', 'gemma3', 6, layers=6, heads=4, kv_heads=2, head_dim=16, tied=True, qk_norm=True, gemma=(16, None, None),
     window=(3, 6), local_base=10000.0, linear=8.0, base=1000000.0)
# Phi-3: fused qkv and gate_up, LongRoPE (original context 16 of 64; a 24-token prompt takes the long factors),
# partial rotary (24 of 32 dims, as Phi-4-mini), a window of 5 on every layer
make('tiny-phi3', 'phi3', 7, dim=64, heads=2, kv_heads=2, fused=True, longrope=(16, 24), window=(5, 0), rope_dim=24)
# the same with full rotary, which llama.cpp's snapshot runs (it wants rope factors for the whole head)
# (and chooses the factors by context size, padded to 256: so an original context of 256, a long prompt beyond it)
make('tiny-phi3-full', 'phi3', 13, dim=64, heads=2, kv_heads=2, fused=True, longrope=(256, 260), window=(5, 0), llamacpp=True)
# Mixtral-style llama: 4 experts, top 2, renormalized; GGUF q/k permuted
make('tiny-mixtral', 'llama', 8, ffn=24, moe=(4, 2, 24, True, 0), llamacpp=True)
# Qwen2-MoE: 6 experts, top 3 NOT renormalized, a shared expert with its sigmoid gate, q/k/v biases
make('tiny-qwen2moe', 'qwen2moe', 9, bias=True, moe=(6, 3, 16, False, 40), base=1000000.0, llamacpp=True)
# Qwen3-MoE: 8 experts, top 3 renormalized, q/k norms, head size 16
make('tiny-qwen3moe', 'qwen3moe', 11, head_dim=16, qk_norm=True, moe=(8, 3, 20, True, 0), base=1000000.0)
# Gemma 2 as llama.cpp's snapshot runs it: it knows Gemma 2 by its layer count (26: the 2B, whose
# query_pre_attn_scalar is the head size) and aborts on others
make('tiny-gemma2-26', 'gemma2', 12, layers=26, heads=4, kv_heads=2, head_dim=16, tied=True, gemma=(16, 4.0, 3.0),
     window=(3, 2), llamacpp=True)

// The non-product steps of a llama-family block, each following the CPU code named beside it.
#pragma once
#include "common.cuh"

// RMSNorm of one row per block (simd Norms.rmsNorm): out = x·s·w with s = 1/sqrt((float)(Σx²/dim) + eps); the
// squares summed in double (the CPU sums chunks of 64 in float, then in double). x may equal out (per-head q/k norms
// in place: each thread rewrites the elements it read).
extern "C" __global__ void rms_norm(const float* x, const float* __restrict__ w, float* out, int dim, float eps) {
    __shared__ double partial[32];
    const float* xr = x + (size_t)blockIdx.x * dim;
    float* o = out + (size_t)blockIdx.x * dim;
    double s = 0;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        double v = xr[i];
        s += v * v;
    }
    s = warp_sum_d(s);
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = (blockDim.x + 31) >> 5;
    if (lane == 0) partial[warp] = s;
    __syncthreads();
    double total = 0;
    for (int i = 0; i < warps; i++) total += partial[i];
    float scale = (float)(1.0 / sqrt((double)((float)(total / dim) + eps)));
    for (int i = threadIdx.x; i < dim; i += blockDim.x) o[i] = xr[i] * scale * w[i];
}

// Rotary embedding (simd Rope), one thread per (token, head, pair): θ = (pos0 + t)·invFreq[i] in double, cos and sin
// rounded to float. NORM rotates (x[2i], x[2i+1]), NEOX (x[i], x[i + pairs]); dimensions past 2·pairs pass through.
extern "C" __global__ void rope(float* x, int heads, int headDim, int pairs, int pos0, const float* __restrict__ invFreq,
                                int neox, int n) {
    int id = blockIdx.x * blockDim.x + threadIdx.x;
    if (id >= n * heads * pairs) return;
    int i = id % pairs, h = (id / pairs) % heads, t = id / (pairs * heads);
    double theta = (double)(pos0 + t) * (double)invFreq[i];
    float c = (float)cos(theta), s = (float)sin(theta);
    float* base = x + ((size_t)t * heads + h) * headDim;
    int ia = neox ? i : 2 * i, ib = neox ? i + pairs : 2 * i + 1;
    float a = base[ia], b = base[ib];
    if (neox) {
        base[ia] = a * c - b * s;
        base[ib] = a * s + b * c;
    } else {
        // the CPU's vector form: a·cos + b·(−sin) and b·cos + a·sin
        base[ia] = a * c + b * -s;
        base[ib] = b * c + a * s;
    }
}

// Appends n positions of keys and values to one layer's F16 cache (ck, cv point at the first new position), rounded
// to nearest even as Float.floatToFloat16.
extern "C" __global__ void kv_store(const float* __restrict__ k, const float* __restrict__ v, __half* ck, __half* cv,
                                    int count) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    ck[i] = __float2half_rn(k[i]);
    cv[i] = __float2half_rn(v[i]);
}

// Causal grouped-query attention over one layer's F16 cache, one block of ATT_WARPS warps per (query head, token):
// token t sees positions 0 .. pos0 + t. The warps split the positions; a lane holds head dimensions lane + 32j.
// Pass 1 finds the largest score, pass 2 recomputes each score (no scratch that grows with the context), adds
// e^(s − max) (exp_ref: the CPU's bits for the same score) and its share of the values; the sums divide at the end,
// where the CPU scales each weight by 1/Σ first (Softmax, then the mix): a rounding apart.
#define ATT_WARPS 4
#define ATT_MAX_HEAD 256
__device__ __forceinline__ float att_score(const float* qv, const __half* __restrict__ key, int headDim, int lane) {
    float s = 0.f;
    for (int j = 0; j < ATT_MAX_HEAD / 32; j++) {
        int d = lane + 32 * j;
        if (d < headDim) s = fmaf(__half2float(key[d]), qv[j], s);
    }
    return warp_sum(s);
}

extern "C" __global__ void __launch_bounds__(ATT_WARPS * 32)
attention(const float* __restrict__ q, const __half* __restrict__ ck, const __half* __restrict__ cv,
          float* __restrict__ out, int heads, int kvHeads, int headDim, int pos0, float scale) {
    __shared__ float warpMax[ATT_WARPS], warpSum[ATT_WARPS];
    __shared__ float mix[ATT_WARPS][ATT_MAX_HEAD];
    int h = blockIdx.x, t = blockIdx.y, warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    int qDim = heads * headDim, kvDim = kvHeads * headDim, kvOff = h / (heads / kvHeads) * headDim;
    int positions = pos0 + t + 1;
    const float* qh = q + (size_t)t * qDim + (size_t)h * headDim;
    float qv[ATT_MAX_HEAD / 32];
    for (int j = 0; j < ATT_MAX_HEAD / 32; j++) {
        int d = lane + 32 * j;
        qv[j] = d < headDim ? qh[d] : 0.f;
    }
    float m = -__int_as_float(0x7f800000);
    for (int p = warp; p < positions; p += ATT_WARPS) {
        m = fmaxf(m, att_score(qv, ck + (size_t)p * kvDim + kvOff, headDim, lane) * scale);
    }
    if (lane == 0) warpMax[warp] = m;
    __syncthreads();
    for (int i = 0; i < ATT_WARPS; i++) m = fmaxf(m, warpMax[i]);
    float sum = 0.f, acc[ATT_MAX_HEAD / 32];
    for (int j = 0; j < ATT_MAX_HEAD / 32; j++) acc[j] = 0.f;
    for (int p = warp; p < positions; p += ATT_WARPS) {
        float e = exp_ref(att_score(qv, ck + (size_t)p * kvDim + kvOff, headDim, lane) * scale - m);
        sum += e;
        const __half* val = cv + (size_t)p * kvDim + kvOff;
        for (int j = 0; j < ATT_MAX_HEAD / 32; j++) {
            int d = lane + 32 * j;
            if (d < headDim) acc[j] = fmaf(__half2float(val[d]), e, acc[j]);
        }
    }
    if (lane == 0) warpSum[warp] = sum;
    for (int j = 0; j < ATT_MAX_HEAD / 32; j++) {
        int d = lane + 32 * j;
        if (d < headDim) mix[warp][d] = acc[j];
    }
    __syncthreads();
    float total = 0.f;
    for (int i = 0; i < ATT_WARPS; i++) total += warpSum[i];
    float inv = 1.f / total;
    float* o = out + (size_t)t * qDim + (size_t)h * headDim;
    for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
        float v = 0.f;
        for (int i = 0; i < ATT_WARPS; i++) v += mix[i][d];
        o[d] = v * inv;
    }
}

// a += b (the residual connection; Elementwise.add).
extern "C" __global__ void add(float* a, const float* __restrict__ b, int count) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) a[i] += b[i];
}

// y[t·width + i] += bias[i] for count = n·width values (qwen2's q/k/v biases).
extern "C" __global__ void add_bias(float* y, const float* __restrict__ bias, int width, int count) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) y[i] += bias[i % width];
}

// gate = silu(gate)·up, as Exp.silu: g / (e^(−g) + 1), then times up.
extern "C" __global__ void swiglu(float* gate, const float* __restrict__ up, int count) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    float g = gate[i];
    float y = g / (exp_ref(-g) + 1.f);
    gate[i] = y * up[i];
}

// The index of the largest of count values, the lowest on ties (the CPU's greedy Sampler scans in order and keeps
// the first maximum); NaNs are never chosen. One block.
extern "C" __global__ void argmax(const float* __restrict__ x, int count, int* out) {
    __shared__ float bestValue[32];
    __shared__ int bestIndex[32];
    float bv = -__int_as_float(0x7f800000);
    int bi = count;
    for (int i = threadIdx.x; i < count; i += blockDim.x) {
        float v = x[i];
        if (v > bv || (v == bv && i < bi)) {
            bv = v;
            bi = i;
        }
    }
    for (int m = 16; m > 0; m >>= 1) {
        float ov = __shfl_xor_sync(0xffffffffu, bv, m);
        int oi = __shfl_xor_sync(0xffffffffu, bi, m);
        if (ov > bv || (ov == bv && oi < bi)) {
            bv = ov;
            bi = oi;
        }
    }
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = (blockDim.x + 31) >> 5;
    if (lane == 0) {
        bestValue[warp] = bv;
        bestIndex[warp] = bi;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        for (int i = 1; i < warps; i++) {
            if (bestValue[i] > bv || (bestValue[i] == bv && bestIndex[i] < bi)) {
                bv = bestValue[i];
                bi = bestIndex[i];
            }
        }
        *out = bi == count ? 0 : bi;
    }
}

// VeRA's up half for one adapted site (vera VeraAdapter): with ax = A·x (rank values per token, a product kernel),
// y[t·out + o] += (weight·λ_b[o])·z where z = Σ_i Bᵀ[i·btStride + o]·(ax[t·rank + i]·λ_d[i]), i in order: the same
// fused multiply-adds as the CPU's transposed tile and addScaledProduct, so equal ax gives equal bits.
extern "C" __global__ void vera_up(const float* __restrict__ bt, int btStride, const float* __restrict__ ax,
                                   const float* __restrict__ lambdaD, const float* __restrict__ lambdaB, float weight,
                                   float* y, int out, int rank, int n) {
    int o = blockIdx.x * blockDim.x + threadIdx.x, t = blockIdx.y;
    if (o >= out || t >= n) return;
    const float* a = ax + (size_t)t * rank;
    float z = 0.f;
    for (int i = 0; i < rank; i++) z = fmaf(bt[(size_t)i * btStride + o], a[i] * lambdaD[i], z);
    float* yo = y + (size_t)t * out + o;
    *yo = fmaf(weight * lambdaB[o], z, *yo);
}

// Shared device code of vera4j's kernels: per-element decoding of the GGUF weight types, warp reductions, and e^x.
//
// Compiled with --fmad=false (see build.sh): a product and a sum are rounded separately unless the code asks for fmaf,
// as the CPU path's Java does; so decoding is bit-identical to the codecs' scalar references, and SiLU and softmax's
// exponentials to dev.vera4j.simd.Exp.
#pragma once
#include <stdint.h>
#include <cuda_fp16.h>

// An IEEE half at p (2-byte aligned: every field read through it starts at an even offset of an even-sized block).
__device__ __forceinline__ float half_at(const uint8_t* p) {
    return __half2float(__ushort_as_half(*(const uint16_t*)p));
}

// Sum over the 32 lanes of a warp by butterfly: every lane ends with the same value (each step adds the same two
// operands on both lanes of a pair).
__device__ __forceinline__ float warp_sum(float v) {
    for (int m = 16; m > 0; m >>= 1) v += __shfl_xor_sync(0xffffffffu, v, m);
    return v;
}

__device__ __forceinline__ double warp_sum_d(double v) {
    for (int m = 16; m > 0; m >>= 1) v += __shfl_xor_sync(0xffffffffu, v, m);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int m = 16; m > 0; m >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, m));
    return v;
}

// Element k of one row, for each weight type the kernels read as stored. Each follows the codec's scalar decoding
// step by step (gguf/types/*.java), so the floats are the same bits.
struct F32W {
    __device__ static float at(const uint8_t* row, int k) { return ((const float*)row)[k]; }
};

struct F16W {
    __device__ static float at(const uint8_t* row, int k) { return half_at(row + 2 * k); }
};

struct BF16W {
    __device__ static float at(const uint8_t* row, int k) {
        return __uint_as_float((uint32_t)((const uint16_t*)row)[k] << 16);
    }
};

// 32 values in 34 bytes: f16 d, 32 int8 quants.
struct Q8_0W {
    __device__ static float at(const uint8_t* row, int k) {
        const uint8_t* b = row + (k >> 5) * 34;
        return (float)(int8_t)b[2 + (k & 31)] * half_at(b);
    }
};

// 32 values in 18 bytes: f16 d, byte j holds value j (low nibble) and j + 16 (high nibble), offset by 8.
struct Q4_0W {
    __device__ static float at(const uint8_t* row, int k) {
        const uint8_t* b = row + (k >> 5) * 18;
        int j = k & 31;
        int q = b[2 + (j & 15)];
        int nib = j < 16 ? (q & 15) : (q >> 4);
        return (float)(nib - 8) * half_at(b);
    }
};

// The 6-bit scale and min of sub-block j from Q4_K's 12-byte field (ggml's get_scale_min_k4; KScales.java).
__device__ __forceinline__ void k_scale_min(const uint8_t* s, int j, int* sc, int* m) {
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
        *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

// 256 values in 144 bytes: f16 d, f16 dmin, 12 bytes of scales/mins, 128 bytes of nibbles (chunk c of 32 bytes holds
// sub-block 2c in its low nibbles and 2c + 1 in its high ones). value = (d·sc)·q − dmin·m, two roundings.
struct Q4_KW {
    __device__ static float at(const uint8_t* row, int k) {
        const uint8_t* b = row + (k >> 8) * 144;
        int kk = k & 255, j = kk >> 5;
        int q = b[16 + 32 * (kk >> 6) + (kk & 31)];
        int nib = (kk & 32) ? (q >> 4) : (q & 15);
        int sc, m;
        k_scale_min(b + 4, j, &sc, &m);
        float d1 = half_at(b) * (float)sc;
        float m1 = half_at(b + 2) * (float)m;
        return d1 * (float)nib - m1;
    }
};

// 256 values in 210 bytes: ql[128] low nibbles, qh[64] high 2 bits, int8 scales[16], f16 d. Two halves of 128; within
// a half, group g of 32 values takes ql[l] (g = 0, 2) or ql[l + 32] (g = 1, 3), low nibble for g < 2, and bits 2g of
// qh[l]; value = (d·scale[l/16 + 2g])·(q − 32).
struct Q6_KW {
    __device__ static float at(const uint8_t* row, int k) {
        const uint8_t* b = row + (k >> 8) * 210;
        int kk = k & 255, h = kk >> 7, r = kk & 127, g = r >> 5, l = r & 31;
        int a = b[64 * h + l + ((g & 1) ? 32 : 0)];
        int lo = g >= 2 ? (a >> 4) : (a & 15);
        int hi = (b[128 + 32 * h + l] >> (2 * g)) & 3;
        int q = (lo | (hi << 4)) - 32;
        float sc = (float)(int8_t)b[192 + 8 * h + (l >> 4) + 2 * g];
        return half_at(b + 208) * sc * (float)q;
    }
};

// e^x by the operations of dev.vera4j.simd.Exp.expReference, in the same order: the same bits as the CPU's softmax
// and SiLU. (fmaf is a fused multiply-add; with --fmad=false nothing else is fused.)
__device__ __forceinline__ float exp_ref(float x) {
    const float HI = 88.37626f, LO = -87.33654f;
    const float LOG2E = 1.44269504088896341f, SHIFTER = 12582912.0f;   // 1.5·2^23
    const float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f;
    const float P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    if (isnan(x)) return x;
    if (x > HI) return __int_as_float(0x7f800000);
    if (x < LO) return 0.f;
    float t = fmaf(x, LOG2E, SHIFTER);
    float n = t - SHIFTER;
    float r = fmaf(n, -LN2_HI, x);
    r = fmaf(n, -LN2_LO, r);
    float p = fmaf(fmaf(fmaf(fmaf(fmaf(r, P0, P1), r, P2), r, P3), r, P4), r, P5);
    float y = fmaf(p, r * r, r) + 1.f;
    return y * __int_as_float(((__float_as_int(t) - 0x4B400000) << 23) + 0x3F800000);
}

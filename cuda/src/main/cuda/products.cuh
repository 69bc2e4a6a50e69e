// Products of GGUF weight matrices (rows × cols, row r at w + r·rowBytes, blocks as stored) with float activations:
// y[t·rows + r] = Σ_k W[r,k]·x[t·cols + k] for n tokens. Every type decodes element by element (common.cuh), so the
// weights are the CPU codecs' exact floats; sums are fused multiply-adds in float, in an order of their own.
#pragma once
#include "common.cuh"

// Few tokens (decode): one warp per row, lanes over the columns, four tokens per pass over the row.
template <class T>
__device__ void matvec_body(const uint8_t* __restrict__ w, long long rowBytes, const float* __restrict__ x,
                            float* __restrict__ y, int rows, int cols, int n) {
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    const uint8_t* wr = w + (size_t)row * rowBytes;
    for (int t0 = 0; t0 < n; t0 += 4) {
        int tn = min(4, n - t0);
        float acc[4] = {0.f, 0.f, 0.f, 0.f};
        for (int k = lane; k < cols; k += 32) {
            float wv = T::at(wr, k);
            for (int j = 0; j < 4; j++) {
                if (j < tn) acc[j] = fmaf(wv, x[(size_t)(t0 + j) * cols + k], acc[j]);
            }
        }
        for (int j = 0; j < 4; j++) {
            if (j >= tn) break;
            float s = warp_sum(acc[j]);
            if (lane == 0) y[(size_t)(t0 + j) * rows + row] = s;
        }
    }
}

// Many tokens (prefill): 64 rows × 64 tokens per block of 256 threads, 32 columns at a time decoded into shared
// memory; each thread sums 4 rows × 4 tokens (rows tr + 16i, tokens tt + 16j, so a warp's shared reads spread over
// banks and its stores of y are 16 consecutive rows).
#define GEMM_TILE 64
#define GEMM_K 32
template <class T>
__device__ void gemm_body(const uint8_t* __restrict__ w, long long rowBytes, const float* __restrict__ x,
                          float* __restrict__ y, int rows, int cols, int n) {
    __shared__ float ws[GEMM_K][GEMM_TILE + 1];
    __shared__ float xs[GEMM_K][GEMM_TILE + 1];
    int tid = threadIdx.x, r0 = blockIdx.x * GEMM_TILE, t0 = blockIdx.y * GEMM_TILE;
    int tr = tid & 15, tt = tid >> 4;
    float acc[4][4];
    for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] = 0.f;
    for (int k0 = 0; k0 < cols; k0 += GEMM_K) {
        for (int e = tid; e < GEMM_TILE * GEMM_K; e += blockDim.x) {
            int rr = e >> 5, kk = e & 31, k = k0 + kk, r = r0 + rr, t = t0 + rr;
            ws[kk][rr] = (r < rows && k < cols) ? T::at(w + (size_t)r * rowBytes, k) : 0.f;
            xs[kk][rr] = (t < n && k < cols) ? x[(size_t)t * cols + k] : 0.f;
        }
        __syncthreads();
        for (int kk = 0; kk < GEMM_K; kk++) {
            float a[4], b[4];
            for (int i = 0; i < 4; i++) a[i] = ws[kk][tr + 16 * i];
            for (int j = 0; j < 4; j++) b[j] = xs[kk][tt + 16 * j];
            for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
    for (int j = 0; j < 4; j++) {
        int t = t0 + tt + 16 * j;
        if (t >= n) continue;
        for (int i = 0; i < 4; i++) {
            int r = r0 + tr + 16 * i;
            if (r < rows) y[(size_t)t * rows + r] = acc[i][j];
        }
    }
}

// Embedding rows: out[t·dim + k] = table[tokens[t]][k], decoded as the CPU's LlamaWeights.embedding does.
template <class T>
__device__ void embed_body(const uint8_t* __restrict__ table, long long rowBytes, const int* __restrict__ tokens,
                           float* __restrict__ out, int n, int dim) {
    int k = blockIdx.x * blockDim.x + threadIdx.x, t = blockIdx.y;
    if (k >= dim || t >= n) return;
    out[(size_t)t * dim + k] = T::at(table + (size_t)tokens[t] * rowBytes, k);
}

#define PRODUCT_KERNELS(name, T)                                                                                    \
    extern "C" __global__ void matvec_##name(const uint8_t* w, long long rowBytes, const float* x, float* y,        \
                                             int rows, int cols, int n) {                                           \
        matvec_body<T>(w, rowBytes, x, y, rows, cols, n);                                                           \
    }                                                                                                               \
    extern "C" __global__ void __launch_bounds__(256) gemm_##name(const uint8_t* w, long long rowBytes,             \
                                                                  const float* x, float* y, int rows, int cols,     \
                                                                  int n) {                                          \
        gemm_body<T>(w, rowBytes, x, y, rows, cols, n);                                                             \
    }                                                                                                               \
    extern "C" __global__ void embed_##name(const uint8_t* table, long long rowBytes, const int* tokens, float* out, \
                                            int n, int dim) {                                                       \
        embed_body<T>(table, rowBytes, tokens, out, n, dim);                                                        \
    }

PRODUCT_KERNELS(f32, F32W)
PRODUCT_KERNELS(f16, F16W)
PRODUCT_KERNELS(bf16, BF16W)
PRODUCT_KERNELS(q8_0, Q8_0W)
PRODUCT_KERNELS(q4_0, Q4_0W)
PRODUCT_KERNELS(q4_k, Q4_KW)
PRODUCT_KERNELS(q6_k, Q6_KW)

// One token's activations as int8 blocks, as the CPU's Int8Activations (llama.cpp's quantize_row_q8_0 with a float
// scale): per block of 32, d = max|x| / 127 and q = x·(127 / max|x|) rounded half away from zero. One warp per block.
extern "C" __global__ void quantize_q8(const float* __restrict__ x, int8_t* __restrict__ q, float* __restrict__ d,
                                       int blocks) {
    int b = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (b >= blocks) return;
    float v = x[32 * b + lane];
    float amax = warp_max(fabsf(v));
    float inv = amax == 0.f ? 0.f : 127.f / amax;
    float s = v * inv;
    q[32 * b + lane] = (int8_t)(int)(s + (s < 0.f ? -0.5f : 0.5f));
    if (lane == 0) d[b] = amax / 127.f;
}

// Four int8 quants of a weight block starting at a 2-byte boundary (Q8_0 and Q4_0 blocks are 34 and 18 bytes long).
__device__ __forceinline__ int load4(const uint8_t* p) {
    const uint16_t* h = (const uint16_t*)p;
    return (int)((uint32_t)h[0] | ((uint32_t)h[1] << 16));
}

// The integer dot product of one weight block with 32 int8 activations, exact (dp4a).
struct Q8_0Int {
    static const int BYTES = 34;
    __device__ static int dot(const uint8_t* blk, const int* xq) {
        int sumi = 0;
        for (int i = 0; i < 8; i++) sumi = __dp4a(load4(blk + 2 + 4 * i), xq[i], sumi);
        return sumi;
    }
};

// Σ (nibble − 8)·q_x as Σ nibble·q_x − 8·Σ q_x; byte j holds element j (low nibble) and j + 16 (high nibble).
struct Q4_0Int {
    static const int BYTES = 18;
    __device__ static int dot(const uint8_t* blk, const int* xq) {
        int sumi = 0, sumq = 0;
        for (int i = 0; i < 4; i++) {
            uint32_t w4 = (uint32_t)load4(blk + 2 + 4 * i);
            sumi = __dp4a((int)(w4 & 0x0F0F0F0Fu), xq[i], sumi);
            sumi = __dp4a((int)((w4 >> 4) & 0x0F0F0F0Fu), xq[i + 4], sumi);
            sumq = __dp4a(0x01010101, xq[i], sumq);
            sumq = __dp4a(0x01010101, xq[i + 4], sumq);
        }
        return sumi - 8 * sumq;
    }
};

// Rows of 32-value blocks (f16 scale first) against int8 activations: per block d_w·d_x·(integer dot), the block
// products in float. One warp per row, lanes over the blocks.
template <class B>
__device__ void matvec_int8_body(const uint8_t* __restrict__ w, long long rowBytes, const int8_t* __restrict__ q,
                                 const float* __restrict__ d, float* __restrict__ y, int rows, int blocks) {
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    const uint8_t* wr = w + (size_t)row * rowBytes;
    float s = 0.f;
    for (int b = lane; b < blocks; b += 32) {
        const uint8_t* blk = wr + B::BYTES * b;
        s = fmaf((float)B::dot(blk, (const int*)(q + 32 * b)), half_at(blk) * d[b], s);
    }
    s = warp_sum(s);
    if (lane == 0) y[row] = s;
}

extern "C" __global__ void matvec_q8_0_q8(const uint8_t* w, long long rowBytes, const int8_t* q, const float* d, float* y,
                                          int rows, int blocks) {
    matvec_int8_body<Q8_0Int>(w, rowBytes, q, d, y, rows, blocks);
}

extern "C" __global__ void matvec_q4_0_q8(const uint8_t* w, long long rowBytes, const int8_t* q, const float* d, float* y,
                                          int rows, int blocks) {
    matvec_int8_body<Q4_0Int>(w, rowBytes, q, d, y, rows, blocks);
}

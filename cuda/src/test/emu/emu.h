// Compiles vera4j's CUDA kernels as host C++ for the emulator (libcuda_emu.cpp): the CUDA keywords become plain C++,
// __shared__ variables become statics (blocks run one at a time), and the builtins (threadIdx, __syncthreads,
// __shfl_xor_sync, __dp4a, ...) go to the emulator's scheduler, which runs each CUDA thread as a fiber.
// Build with -ffp-contract=off, the host twin of nvcc's --fmad=false.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static

struct EmuDim {
    unsigned x, y, z;
};

struct EmuThreadState {
    EmuDim thread, block, blockSize, gridSize;
};

extern EmuThreadState* emu_self;
#define threadIdx (emu_self->thread)
#define blockIdx (emu_self->block)
#define blockDim (emu_self->blockSize)
#define gridDim (emu_self->gridSize)

void __syncthreads();
uint64_t emu_shuffle(uint64_t bits, int laneMask);

template <class T>
static inline T __shfl_xor_sync(unsigned mask, T v, int laneMask) {
    (void)mask;
    uint64_t bits = 0;
    memcpy(&bits, &v, sizeof(T));
    bits = emu_shuffle(bits, laneMask);
    T r;
    memcpy(&r, &bits, sizeof(T));
    return r;
}

static inline int __dp4a(int a, int b, int c) {
    for (int i = 0; i < 4; i++) c += (int)(int8_t)(a >> (8 * i)) * (int)(int8_t)(b >> (8 * i));
    return c;
}

static inline float __int_as_float(int i) {
    float f;
    memcpy(&f, &i, 4);
    return f;
}

static inline int __float_as_int(float f) {
    int i;
    memcpy(&i, &f, 4);
    return i;
}

static inline float __uint_as_float(uint32_t i) {
    float f;
    memcpy(&f, &i, 4);
    return f;
}

using std::isnan;
using std::max;
using std::min;

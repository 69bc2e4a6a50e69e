// The emulator's stand-in for CUDA's cuda_fp16.h: IEEE halves through GCC's _Float16 (round to nearest even, as
// __float2half_rn; widening exact, as __half2float).
#pragma once
#include <stdint.h>
#include <string.h>

struct __half {
    uint16_t bits;
};

static inline float __half2float(__half h) {
    _Float16 f;
    memcpy(&f, &h.bits, 2);
    return (float)f;
}

static inline __half __float2half_rn(float v) {
    _Float16 f = (_Float16)v;
    __half h;
    memcpy(&h.bits, &f, 2);
    return h;
}

static inline __half __ushort_as_half(uint16_t u) {
    __half h;
    h.bits = u;
    return h;
}

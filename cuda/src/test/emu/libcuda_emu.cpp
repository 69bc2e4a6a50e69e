// A CPU emulation of the CUDA driver API calls vera4j makes, running vera4j's own kernels (kernels.cu compiled as
// host C++): a test double for libcuda.so.1, so that the Java bindings, the kernels and the forward pass run end to
// end on machines without a GPU. Built and loaded by the tests (Emulator.java); not shipped.
//
// Each CUDA thread is a fiber (a stack and a hand-written context switch); a block's fibers run one at a time until
// each reaches a barrier: __syncthreads waits for the block, a shuffle for its warp (all 32 lanes must take part, as
// __shfl_xor_sync with a full mask requires), so a missing barrier or a divergent shuffle shows up as a wrong result
// or a reported deadlock. Blocks run one after another, which is why __shared__ can be static. Device memory is host
// memory ending just before a PROT_NONE page, so most overruns crash at once instead of corrupting quietly.
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "../../main/cuda/kernels.cu"

EmuThreadState* emu_self;

namespace {

// ---- fibers -------------------------------------------------------------------------------------------------------

extern "C" void emu_switch(void** save, void* next);
asm(R"(
.text
.globl emu_switch
.type emu_switch,@function
emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
.size emu_switch,.-emu_switch
)");

enum State { READY, AT_WARP, AT_BLOCK, DONE };

struct Fiber {
    void* sp;
    char* stack;
    State state;
    EmuThreadState t;
    int shuffles;   // shuffles taken, for the double-buffered exchange slots
};

const size_t STACK = 128 * 1024;
const int MAX_THREADS = 1024;

struct Launch {
    void (*invoke)(void* fn, void** params);
    void* fn;
    void** params;
};

Fiber fibers[MAX_THREADS];
Fiber* current;
void* scheduler_sp;
Launch launch_now;
uint64_t exchange[2][MAX_THREADS];
bool failed;
std::string failure;

extern "C" void emu_fiber_main() {
    launch_now.invoke(launch_now.fn, launch_now.params);
    current->state = DONE;
    emu_switch(&current->sp, scheduler_sp);
    abort();   // a finished fiber is never resumed
}

void yield(State s) {
    current->state = s;
    emu_switch(&current->sp, scheduler_sp);
}

void start(Fiber& f) {
    if (!f.stack) {
        f.stack = (char*)mmap(nullptr, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (f.stack == MAP_FAILED) abort();
    }
    // the frame emu_switch pops: mxcsr/fpu control word, r15 .. rbp, then the "return address" emu_fiber_main;
    // after its ret the stack pointer is 8 mod 16, as at any function's entry
    uint64_t* sp = (uint64_t*)(f.stack + STACK - 72);
    uint32_t csr[2] = {0x1F80, 0x037F};
    memcpy(sp, csr, 8);
    for (int i = 1; i <= 6; i++) sp[i] = 0;
    sp[7] = (uint64_t)(void*)&emu_fiber_main;
    sp[8] = 0;
    f.sp = sp;
    f.state = READY;
    f.shuffles = 0;
}

// Runs one block to completion; false (with `failure`) on a deadlock.
bool run_block(EmuDim block, EmuDim grid, EmuDim idx) {
    int n = block.x * block.y * block.z;
    for (int i = 0; i < n; i++) {
        Fiber& f = fibers[i];
        f.t.thread = {(unsigned)i % block.x, (unsigned)i / block.x % block.y, (unsigned)i / (block.x * block.y)};
        f.t.block = idx;
        f.t.blockSize = block;
        f.t.gridSize = grid;
        start(f);
    }
    for (;;) {
        bool ran = false;
        for (int i = 0; i < n; i++) {
            if (fibers[i].state != READY) continue;
            ran = true;
            current = &fibers[i];
            emu_self = &fibers[i].t;
            emu_switch(&scheduler_sp, fibers[i].sp);
        }
        int done = 0, atBlock = 0;
        for (int i = 0; i < n; i++) {
            done += fibers[i].state == DONE;
            atBlock += fibers[i].state == AT_BLOCK;
        }
        if (done == n) return true;
        bool released = false;
        for (int w = 0; w * 32 < n; w++) {
            int lanes = std::min(32, n - 32 * w), atWarp = 0;
            for (int l = 0; l < lanes; l++) atWarp += fibers[32 * w + l].state == AT_WARP;
            if (atWarp == lanes) {
                for (int l = 0; l < lanes; l++) fibers[32 * w + l].state = READY;
                released = true;
            } else if (atWarp > 0) {
                bool stuck = true;   // lanes wait at a shuffle the others can never reach
                for (int l = 0; l < lanes; l++) if (fibers[32 * w + l].state == READY) stuck = false;
                if (stuck && !ran) {
                    failure = "divergent shuffle: warp " + std::to_string(w) + " has " + std::to_string(atWarp) + " of " +
                              std::to_string(lanes) + " lanes at a shuffle";
                    return false;
                }
            }
        }
        if (atBlock > 0 && atBlock + done == n) {
            for (int i = 0; i < n; i++) if (fibers[i].state == AT_BLOCK) fibers[i].state = READY;
            released = true;
        }
        if (!released && !ran) {
            failure = "deadlock: " + std::to_string(atBlock) + " threads at __syncthreads, " + std::to_string(done) + " done, of " + std::to_string(n);
            return false;
        }
    }
}

// ---- kernels by name ----------------------------------------------------------------------------------------------

template <class... A, size_t... I>
void call(void (*f)(A...), void** p, std::index_sequence<I...>) {
    f(*static_cast<std::remove_reference_t<A>*>(p[I])...);
}

template <class... A>
void invoker(void* fn, void** params) {
    call(reinterpret_cast<void (*)(A...)>(fn), params, std::index_sequence_for<A...>{});
}

struct Kernel {
    const char* name;
    void* fn;
    void (*invoke)(void*, void**);
};

template <class... A>
Kernel kernel(const char* name, void (*f)(A...)) {
    return Kernel{name, reinterpret_cast<void*>(f), &invoker<A...>};
}

#define K(name) kernel(#name, &name)
#define TYPE(s) K(matvec_##s), K(gemm_##s), K(embed_##s)
const Kernel KERNELS[] = {
    TYPE(f32), TYPE(f16), TYPE(bf16), TYPE(q8_0), TYPE(q4_0), TYPE(q4_k), TYPE(q6_k),
    K(quantize_q8), K(matvec_q8_0_q8), K(matvec_q4_0_q8), K(rms_norm), K(rope), K(kv_store), K(attention), K(add),
    K(add_bias), K(swiglu), K(argmax), K(vera_up),
};

// ---- device memory ------------------------------------------------------------------------------------------------

const size_t TOTAL = size_t(8) << 30;
std::map<uint64_t, std::pair<void*, size_t>> allocations;   // address -> mapping, its length
size_t allocated;

const char* error_name(int r) {
    switch (r) {
        case 0: return "CUDA_SUCCESS";
        case 1: return "CUDA_ERROR_INVALID_VALUE";
        case 2: return "CUDA_ERROR_OUT_OF_MEMORY";
        case 200: return "CUDA_ERROR_INVALID_IMAGE";
        case 400: return "CUDA_ERROR_INVALID_HANDLE";
        case 500: return "CUDA_ERROR_NOT_FOUND";
        case 719: return "CUDA_ERROR_LAUNCH_FAILED";
        default: return nullptr;
    }
}

bool valid(uint64_t p, size_t bytes) {
    auto it = allocations.upper_bound(p);
    if (it == allocations.begin()) return false;
    --it;
    return p >= it->first && p + bytes <= it->first + (it->second.second - 4096 - (it->first - (uint64_t)it->second.first));
}

}   // namespace

// ---- the driver API -----------------------------------------------------------------------------------------------

extern "C" {
int cuGetErrorName(int r, const char** out) {
    *out = error_name(r);
    return *out ? 0 : 1;
}
int cuInit(unsigned) { return 0; }
int cuDriverGetVersion(int* v) { *v = 13000; return 0; }
int cuDeviceGetCount(int* n) { *n = 1; return 0; }
int cuDeviceGet(int* d, int i) { if (i != 0) return 101; *d = 0; return 0; }
int cuDeviceGetName(char* name, int len, int) { snprintf(name, len, "vera4j CUDA emulator"); return 0; }
int cuDeviceGetAttribute(int* v, int attribute, int) {
    *v = attribute == 75 ? 9 : attribute == 76 ? 0 : attribute == 16 ? 1 : 0;
    return 0;
}
int cuDeviceTotalMem_v2(size_t* b, int) { *b = TOTAL; return 0; }
int cuDevicePrimaryCtxRetain(void** ctx, int) { *ctx = (void*)0x1; return 0; }
int cuDevicePrimaryCtxRelease_v2(int) { return 0; }
int cuCtxSetCurrent(void*) { return 0; }
int cuCtxSynchronize() { return failed ? 719 : 0; }
int cuMemGetInfo_v2(size_t* free, size_t* total) { *free = TOTAL - allocated; *total = TOTAL; return 0; }

int cuMemAlloc_v2(uint64_t* p, size_t bytes) {
    if (bytes == 0) return 1;
    if (bytes > TOTAL - allocated) return 2;
    size_t rounded = (bytes + 255) / 256 * 256, pages = (rounded + 4095) / 4096;
    size_t length = (pages + 1) * 4096;
    char* base = (char*)mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return 2;
    mprotect(base + pages * 4096, 4096, PROT_NONE);
    uint64_t addr = (uint64_t)(base + pages * 4096 - rounded);
    memset((void*)addr, 0xA5, rounded);   // uninitialized memory is not zero on a GPU either
    allocations[addr] = {base, length};
    allocated += bytes;
    *p = addr;
    return 0;
}

int cuMemFree_v2(uint64_t p) {
    auto it = allocations.find(p);
    if (it == allocations.end()) return 1;
    size_t rounded = (size_t)((char*)it->second.first + it->second.second - 4096 - (char*)p);
    allocated -= std::min(allocated, rounded);
    munmap(it->second.first, it->second.second);
    allocations.erase(it);
    return 0;
}

int cuMemcpyHtoD_v2(uint64_t dst, const void* src, size_t n) { if (!valid(dst, n)) return 1; memcpy((void*)dst, src, n); return 0; }
int cuMemcpyDtoH_v2(void* dst, uint64_t src, size_t n) { if (!valid(src, n)) return 1; memcpy(dst, (void*)src, n); return 0; }
int cuMemcpyHtoDAsync_v2(uint64_t dst, const void* src, size_t n, void*) { return cuMemcpyHtoD_v2(dst, src, n); }
int cuMemcpyDtoHAsync_v2(void* dst, uint64_t src, size_t n, void*) { return cuMemcpyDtoH_v2(dst, src, n); }
int cuMemsetD8_v2(uint64_t dst, unsigned char v, size_t n) { if (!valid(dst, n)) return 1; memset((void*)dst, v, n); return 0; }

int cuStreamCreate(void** s, unsigned) { *s = malloc(1); return 0; }
int cuStreamDestroy_v2(void* s) { free(s); return 0; }
int cuStreamSynchronize(void*) { return failed ? 719 : 0; }

int cuEventCreate(void** e, unsigned) { *e = calloc(1, sizeof(double)); return 0; }
int cuEventRecord(void* e, void*) {
    *(double*)e = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
    return 0;
}
int cuEventSynchronize(void*) { return 0; }
int cuEventElapsedTime_v2(float* ms, void* a, void* b) { *ms = (float)(*(double*)b - *(double*)a); return 0; }
int cuEventDestroy_v2(void* e) { free(e); return 0; }

int cuModuleLoadData(void** m, const void* image) {
    if (*(const uint32_t*)image != 0xBA55ED50u) return 200;   // the fatbin's magic: the real image, not the code run here
    *m = (void*)KERNELS;
    return 0;
}
int cuModuleGetFunction(void** f, void*, const char* name) {
    for (const Kernel& k : KERNELS) {
        if (strcmp(k.name, name) == 0) {
            *f = (void*)&k;
            return 0;
        }
    }
    return 500;
}
int cuModuleUnload(void*) { return 0; }

int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned shared,
                   void*, void** params, void** extra) {
    const Kernel* k = (const Kernel*)f;
    if (failed) return 719;
    if (bx * by * bz == 0 || bx * by * bz > MAX_THREADS || shared != 0 || extra != nullptr || gx == 0 || gy == 0 || gz == 0) return 1;
    launch_now = Launch{k->invoke, k->fn, params};
    EmuDim block{bx, by, bz}, grid{gx, gy, gz};
    for (unsigned z = 0; z < gz; z++) {
        for (unsigned y = 0; y < gy; y++) {
            for (unsigned x = 0; x < gx; x++) {
                if (!run_block(block, grid, EmuDim{x, y, z})) {
                    fprintf(stderr, "vera4j CUDA emulator: %s in %s, block (%u, %u, %u)\n", failure.c_str(), k->name, x, y, z);
                    failed = true;
                    return 719;
                }
            }
        }
    }
    return 0;
}
}

void __syncthreads() { yield(AT_BLOCK); }

uint64_t emu_shuffle(uint64_t bits, int laneMask) {
    int tid = (int)(current - fibers), lane = tid & 31, buffer = current->shuffles++ & 1;
    exchange[buffer][tid] = bits;
    yield(AT_WARP);   // every lane of the warp has written
    return exchange[buffer][(tid & ~31) | (lane ^ laneMask)];
}

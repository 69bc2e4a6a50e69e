// vera4j's CUDA kernels: one translation unit, built into kernels.fatbin by build.sh. The Java side
// (dev.vera4j.cuda.CudaKernels) looks every kernel up by its extern "C" name and launches it with cuLaunchKernel.
#include "products.cuh"
#include "layers.cuh"

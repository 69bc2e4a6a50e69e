package dev.vera4j.cuda;

import dev.vera4j.engine.model.ModelConfigException;
import dev.vera4j.gguf.GgmlType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The one-line errors a user sees, built without a GPU from the values a driver would report. */
class ErrorMessagesTest {
    private static final DeviceInfo H200 = new DeviceInfo(0, "NVIDIA H200", 9, 0, 150_000_000_000L, 13000, 132);

    @Test
    void failedCallNamesTheCallAndTheError() {
        CudaException e = new CudaException("cuMemcpyHtoD_v2", 1, "CUDA_ERROR_INVALID_VALUE");
        assertEquals("CUDA call cuMemcpyHtoD_v2 failed: CUDA_ERROR_INVALID_VALUE (1)", e.getMessage());
        assertEquals("cuMemcpyHtoD_v2", e.call());
        assertEquals(1, e.code());
    }

    @Test
    void outOfMemoryGivesNeededAndFree() {
        DeviceMemoryException e = new DeviceMemoryException("cuda:0 (NVIDIA H200)", "the model's weights", 16L << 30, 3L << 30, 140L << 30);
        assertEquals("out of device memory on cuda:0 (NVIDIA H200): the model's weights need 16.0 GiB, 3.0 GiB of 140.0 GiB are free", e.getMessage());
        assertEquals(16L << 30, e.needed());
    }

    @Test
    void deviceIndexOutOfRange() {
        assertEquals("there is no cuda:1: this machine has 1 CUDA device (cuda:0)", CudaDevice.noSuchDevice(1, 1));
        assertEquals("there is no cuda:8: this machine has 4 CUDA devices (cuda:0 .. cuda:3)", CudaDevice.noSuchDevice(8, 4));
    }

    @Test
    void driverTooOldForTheKernels() {
        KernelImage image = KernelImage.load();
        DeviceInfo oldDriver = new DeviceInfo(0, "NVIDIA H200", 9, 0, 150_000_000_000L, 12020, 132);
        String m = CudaKernels.unsupported(oldDriver, image, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION");
        assertTrue(m.startsWith("the NVIDIA driver (CUDA 12.2) is too old for vera4j's kernels, built with nvcc " + image.record().nvcc()), m);
        assertTrue(m.contains("driver 580 or newer") && m.contains("CUDA_ERROR_UNSUPPORTED_PTX_VERSION"), m);
    }

    @Test
    void gpuTooOldForTheKernels() {
        DeviceInfo pascal = new DeviceInfo(1, "Tesla P100", 6, 0, 16L << 30, 13000, 56);
        String m = CudaKernels.unsupported(pascal, KernelImage.load(), "CUDA_ERROR_NO_BINARY_FOR_GPU");
        assertTrue(m.startsWith("cuda:1 (Tesla P100, compute capability 6.0) cannot run vera4j's kernels, built for SASS sm_90, PTX compute_75"), m);
    }

    @Test
    void tensorTypesWithoutKernelsAreConvertedOrRefused() {
        for (GgmlType t : DeviceTypes.nativeTypes()) assertEquals(t, DeviceTypes.uploadType(t));
        assertEquals(GgmlType.F16, DeviceTypes.uploadType(GgmlType.Q5_K));
        assertEquals(GgmlType.F16, DeviceTypes.uploadType(GgmlType.IQ4_XS));
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> DeviceTypes.uploadType(GgmlType.IQ2_XXS));
        assertTrue(e.getMessage().startsWith("tensor type IQ2_XXS cannot run on the GPU (kernels for [F32, F16, Q4_0, Q8_0, Q4_K, Q6_K, BF16]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DeviceMatrix.dense(0, GgmlType.Q5_K, 1, 256));
    }

    @Test
    void deviceLine() {
        assertEquals("cuda:0  NVIDIA H200, compute capability 9.0, 132 SMs, 139.7 GiB, CUDA driver 13.0", H200.describe());
        assertEquals("12.8", DeviceInfo.version(12080));
    }
}

package dev.vera4j.cuda;

import java.util.Locale;

/**
 * What the driver reports about one GPU.
 *
 * <pre>{@code
 * DeviceInfo gpu = CudaDevice.list().getFirst();
 * gpu.describe();   // cuda:0  NVIDIA H200, compute capability 9.0, 132 SMs, 139.8 GiB, CUDA driver 13.0
 * }</pre>
 *
 * @param index           the ordinal ({@code cuda:N})
 * @param major           compute capability, major (9 for Hopper)
 * @param minor           compute capability, minor
 * @param totalBytes      device memory
 * @param driverVersion   the CUDA version the driver supports, as {@code cuDriverGetVersion} gives it (13000 = 13.0)
 * @param multiprocessors streaming multiprocessors
 */
public record DeviceInfo(int index, String name, int major, int minor, long totalBytes, int driverVersion, int multiprocessors) {
    private static final int ATTRIBUTE_MULTIPROCESSORS = 16, ATTRIBUTE_MAJOR = 75, ATTRIBUTE_MINOR = 76;

    /** Reads the attributes of device {@code index} (no context needed). */
    static DeviceInfo query(CudaDriver cu, int index) {
        int dev = cu.device(index);
        return new DeviceInfo(index, cu.deviceName(dev), cu.deviceAttribute(ATTRIBUTE_MAJOR, dev),
                cu.deviceAttribute(ATTRIBUTE_MINOR, dev), cu.deviceTotalMem(dev), cu.driverVersion(),
                cu.deviceAttribute(ATTRIBUTE_MULTIPROCESSORS, dev));
    }

    /** {@code cuda:N}, as {@code --device} spells it. */
    public String id() { return "cuda:" + index; }

    /** {@code 13.0} for 13000. */
    public static String version(int cudaVersion) { return cudaVersion / 1000 + "." + cudaVersion % 1000 / 10; }

    /** One line for {@code vera4j devices} and load reports. */
    public String describe() {
        return String.format(Locale.ROOT, "%s  %s, compute capability %d.%d, %d SMs, %s, CUDA driver %s", id(), name, major, minor,
                multiprocessors, Bytes.format(totalBytes), version(driverVersion));
    }
}

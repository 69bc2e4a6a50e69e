package dev.vera4j.cuda;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * VeRA's frozen matrices on the device, uploaded once however many adapters and sites use them: A and B follow from
 * (seed, rank, shape), so adapters with the same three share them, and all sites of one adapter share one A and
 * one Bᵀ (or one per q/k row order). A host array is looked up by identity, then by content, so a second adapter
 * whose projections were regenerated into new arrays still finds the first upload. Freed by {@link #close}.
 *
 * <pre>{@code
 * try (DeviceVeraProjections shared = new DeviceVeraProjections(gpu)) {
 *     DeviceVeraAdapter style = DeviceVeraAdapter.upload(shared, 1f, layers, styleSites);
 *     DeviceVeraAdapter tone = DeviceVeraAdapter.upload(shared, 0.5f, layers, toneSites);   // same A, B: no upload
 * }
 * }</pre>
 */
public final class DeviceVeraProjections implements AutoCloseable {
    private final DeviceArena arena;
    private final Map<float[], DeviceBuffer> byIdentity = new IdentityHashMap<>();
    private final List<float[]> uploaded = new ArrayList<>();
    private final List<DeviceBuffer> buffers = new ArrayList<>();

    public DeviceVeraProjections(CudaDevice device) { this.arena = new DeviceArena(device); }

    public CudaDevice device() { return arena.device(); }

    /** {@code data} on the device, uploaded on first use. */
    public DeviceBuffer matrix(float[] data) {
        DeviceBuffer b = byIdentity.get(data);
        if (b != null) return b;
        for (int i = 0; i < uploaded.size(); i++) {
            if (Arrays.equals(uploaded.get(i), data)) {
                b = buffers.get(i);
                break;
            }
        }
        if (b == null) {
            b = arena.upload(data);
            uploaded.add(data);
            buffers.add(b);
        }
        byIdentity.put(data, b);
        return b;
    }

    /** Distinct matrices uploaded. */
    public int count() { return buffers.size(); }

    /** Device bytes held. */
    public long bytes() { return arena.bytes(); }

    @Override
    public void close() {
        byIdentity.clear();
        uploaded.clear();
        buffers.clear();
        arena.close();
    }
}

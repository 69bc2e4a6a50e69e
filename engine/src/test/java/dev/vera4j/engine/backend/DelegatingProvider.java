package dev.vera4j.engine.backend;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.simd.WorkerPool;

/**
 * A provider of device kind {@code test}, registered in the engine's test resources, whose backends run on a CPU
 * backend of their own: shows that a backend plugs in through {@link java.util.ServiceLoader} alone.
 */
public final class DelegatingProvider implements BackendProvider {
    @Override
    public String kind() { return "test"; }

    @Override
    public Backend open(Device device, ModelConfig config, ModelWeights weights) {
        if (device.index() > 1) throw new DeviceException("test device " + device.index() + " does not exist (there are 2)");
        WorkerPool pool = new WorkerPool(1);
        CpuBackend cpu = new CpuBackend(config, weights, pool);
        return new Backend() {
            @Override public Device device() { return device; }
            @Override public ModelConfig config() { return config; }
            @Override public KvCache newCache(KvType type, int capacity) { return cpu.newCache(type, capacity); }
            @Override public Activations newActivations(int maxTokens, int maxContext, boolean fixedOrder) {
                return cpu.newActivations(maxTokens, maxContext, fixedOrder);
            }
            @Override public void step(Activations activations, Batch batch, float[] logits) { cpu.step(activations, batch, logits); }
            @Override public void close() {
                cpu.close();
                pool.close();
            }
        };
    }
}

package dev.vera4j.cuda;

import dev.vera4j.engine.backend.Backend;
import dev.vera4j.engine.backend.BackendProvider;
import dev.vera4j.engine.backend.Device;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.ModelWeights;

/**
 * The provider of device kind {@code cuda}, listed in this module's
 * {@code META-INF/services/dev.vera4j.engine.backend.BackendProvider}: with the {@code cuda} module on the class path,
 * {@code --device cuda:N} (and {@code LoadOptions.device("cuda:N")}) loads the model onto GPU {@code N} as a
 * {@link CudaBackend}. Without a driver, that load fails with one line ("no NVIDIA driver found (...)").
 *
 * <pre>{@code
 * Backend gpu = BackendProvider.of("cuda").open(Device.parse("cuda:0"), config, ModelWeights.of(file, config));
 * }</pre>
 */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String kind() { return "cuda"; }

    /** {@inheritDoc} See {@link CudaBackend#open}. */
    @Override
    public Backend open(Device device, ModelConfig config, ModelWeights weights) { return CudaBackend.open(device, config, weights); }
}

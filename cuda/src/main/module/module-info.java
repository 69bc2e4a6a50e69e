/**
 * The CUDA backend, bound to the driver API through the FFM API: found by {@code dev.vera4j.engine}'s
 * {@link java.util.ServiceLoader} when this module is present. Give it native access with
 * {@code --enable-native-access=dev.vera4j.cuda} on the module path.
 */
module dev.vera4j.cuda {
    requires transitive dev.vera4j.engine;
    requires jdk.incubator.vector;

    exports dev.vera4j.cuda;

    provides dev.vera4j.engine.backend.BackendProvider with dev.vera4j.cuda.CudaBackendProvider;
}

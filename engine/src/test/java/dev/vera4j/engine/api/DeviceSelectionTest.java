package dev.vera4j.engine.api;

import dev.vera4j.engine.backend.Device;
import dev.vera4j.engine.backend.DeviceException;
import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ReferenceData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link LoadOptions#device()}: the CPU is built in; other kinds come from a {@link dev.vera4j.engine.backend.BackendProvider}
 * on the class path (the engine's tests register one of kind {@code test}), and a kind without one is a one-line error.
 */
class DeviceSelectionTest {
    @Test
    void devicesParse() {
        assertEquals(Device.CPU, Device.parse("cpu"));
        assertEquals(Device.CPU, Device.parse(" CPU "));
        assertEquals(new Device("cuda", 0), Device.parse("cuda"));
        assertEquals(new Device("cuda", 3), Device.parse("cuda:3"));
        assertEquals("cuda:3", Device.parse("cuda:3").toString());
        assertEquals("cpu", Device.CPU.toString());
        for (String bad : new String[] {"", "cuda:", "cuda:x", ":1", "cpu:1", "cu da", "cuda:-1"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> Device.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("bad device"), e.getMessage());
        }
    }

    @Test
    void theCpuIsTheDefault() {
        try (Model model = Model.load(ReferenceData.stories(), LoadOptions.builder().threads(1).build())) {
            assertEquals(Device.CPU, model.backend().device());
            assertInstanceOf(CpuBackend.class, model.backend());
        }
        assertEquals(Device.CPU, LoadOptions.defaults().device());
    }

    @Test
    void withoutACudaProviderLoadingOnCudaSaysSoInOneLine() {
        for (String spec : new String[] {"cuda", "cuda:1"}) {
            var e = assertThrows(DeviceException.class,
                    () -> Model.load(ReferenceData.stories(), LoadOptions.builder().device(spec).threads(1).build()));
            assertEquals("no CUDA backend in this build", e.getMessage());
        }
    }

    @Test
    void aProviderOnTheClassPathServesItsKind() {
        LoadOptions options = LoadOptions.builder().device("test:1").threads(1).build();
        ReferenceData ref = ReferenceData.all().get(0);
        int[] onTest, onCpu;
        try (Model model = Model.load(ReferenceData.stories(), options)) {
            assertEquals(new Device("test", 1), model.backend().device());
            onTest = model.newSession(128, KvType.F32).generate(ref.promptIds(), GenerateOptions.greedy(16), GenerationListener.NONE).tokens();
        }
        try (Model model = Model.load(ReferenceData.stories(), 1)) {
            onCpu = model.newSession(128, KvType.F32).generate(ref.promptIds(), GenerateOptions.greedy(16), GenerationListener.NONE).tokens();
        }
        assertArrayEquals(onCpu, onTest);
        var e = assertThrows(DeviceException.class, () -> Model.load(ReferenceData.stories(), LoadOptions.builder().device("test:2").threads(1).build()));
        assertEquals("test device 2 does not exist (there are 2)", e.getMessage());
    }
}

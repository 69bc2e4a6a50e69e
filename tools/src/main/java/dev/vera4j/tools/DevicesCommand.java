package dev.vera4j.tools;

import dev.vera4j.cuda.DeviceInfo;
import dev.vera4j.cuda.Devices;
import dev.vera4j.engine.json.Json;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code vera4j devices [--json]}: the CPU (threads, SIMD width) and each GPU the NVIDIA driver reports (name,
 * compute capability, memory, driver version), or why there is none. Succeeds without a GPU: the CPU is a device.
 */
final class DevicesCommand implements Command {
    @Override public String name() { return "devices"; }

    @Override public String summary() { return "list the CPU and the GPUs vera4j can run on"; }

    @Override public String usage() { return "[--json]"; }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec().flag("help", "-h", "--help").flag("json", "--json").flag("verbose", "--verbose").parse(argv);
        if (a.has("help")) {
            out.println("usage: vera4j devices " + usage());
            out.println("  --json   one JSON object: cpu, gpus (index, name, compute capability, memory, driver), kernels");
            return 0;
        }
        if (!a.positional().isEmpty()) throw new UsageException("unexpected argument '" + a.positional().getFirst() + "'");
        Devices.Listing l = Devices.list();
        if (!a.has("json")) {
            l.lines().forEach(out::println);
            return 0;
        }
        Map<String, Object> cpu = new LinkedHashMap<>();
        cpu.put("arch", l.cpu().arch());
        cpu.put("threads", (long) l.cpu().threads());
        cpu.put("simd_bits", (long) l.cpu().simdBits());
        List<Object> gpus = new ArrayList<>();
        for (DeviceInfo g : l.gpus()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("device", g.id());
            m.put("name", g.name());
            m.put("compute_capability", g.major() + "." + g.minor());
            m.put("multiprocessors", (long) g.multiprocessors());
            m.put("memory_bytes", g.totalBytes());
            m.put("cuda_driver", DeviceInfo.version(g.driverVersion()));
            m.put("runs_kernels", l.kernels().runsOn(g.major(), g.minor()));
            gpus.add(m);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("cpu", cpu);
        root.put("gpus", gpus);
        if (l.noGpu() != null) root.put("no_gpu", l.noGpu());
        root.put("kernels", l.kernels().describe());
        out.println(Json.write(root));
        return 0;
    }
}

package dev.vera4j.cuda;

import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.backend.DeviceException;
import dev.vera4j.engine.backend.Sequence;
import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.LowRankUpdate;
import dev.vera4j.simd.FloatRows;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sequences' {@link LinearHook}s as {@link DeviceVeraAdapter}s, for the {@link CudaBackend}. A hook that describes
 * its update as data ({@link LinearHook#lowRank()}: VeRA, LoRA, several combined) is uploaded on first use, its λ
 * vectors and, through one {@link DeviceVeraProjections} that all hooks share, its A and B, and kept, so that a step
 * uploads nothing for a hook it ran before. A hook that can only be called cannot run on the device.
 *
 * <p>A {@link DeviceVeraAdapter} holds one term per site, all of one rank and one scale; a hook's terms are grouped
 * into as few of those as that allows (VeRA and LoRA adapters are one group each; adapters applied together, several).
 *
 * <p>Serving makes a new hook for each request, so uploads would pile up: once more than {@value #KEEP} hooks have
 * them, those of the hooks that the last step did not run are freed after it (a freed hook that comes back is uploaded
 * again). The A and B matrices stay until {@link #close}: there are few (one per adapter seed, rank and shape for
 * VeRA).
 *
 * <pre>{@code
 * DeviceVeraAdapter[] a = hooks.of(sequence.hook(0));   // uploaded now, or the same arrays as last time
 * forward.setAdapters(a, a.length);
 * }</pre>
 */
final class DeviceHooks implements AutoCloseable {
    /** Hooks whose uploads are kept even when a step does not run them. */
    static final int KEEP = 16;

    /** Terms that one {@link DeviceVeraAdapter} can hold: one scale, one rank, one term per site. */
    record Group(float scale, int rank, List<VeraSiteWeights> sites) {}

    private final DeviceVeraProjections shared;
    private final int layers;
    private final Map<LinearHook, DeviceVeraAdapter[]> uploaded = new IdentityHashMap<>();

    DeviceHooks(CudaDevice device, int layers) {
        this.shared = new DeviceVeraProjections(device);
        this.layers = layers;
    }

    /**
     * {@code hook}'s device adapters, uploaded on first use.
     *
     * @throws DeviceException if the hook has no low-rank form, or adapts a projection that the GPU cannot
     * @throws IllegalArgumentException if its terms do not fit together or a layer is outside the model
     */
    DeviceVeraAdapter[] of(LinearHook hook) {
        DeviceVeraAdapter[] done = uploaded.get(hook);
        if (done != null) return done;
        LowRankUpdate update = hook.lowRank();
        if (update == null) {
            throw new DeviceException("a hook of the sequence (" + hook.getClass().getName() + ") has no low-rank form (LinearHook.lowRank())"
                    + " and cannot run on " + shared.device().info().id() + ": use --device cpu");
        }
        List<Group> groups = groups(update);
        DeviceVeraAdapter[] out = new DeviceVeraAdapter[groups.size()];
        try {
            for (int i = 0; i < out.length; i++) out[i] = DeviceVeraAdapter.upload(shared, groups.get(i).scale(), layers, groups.get(i).sites());
        } catch (RuntimeException e) {
            close(out);
            throw e;
        }
        uploaded.put(hook, out);
        return out;
    }

    /** Hooks with uploads. */
    int size() { return uploaded.size(); }

    /** Frees the uploads of the hooks that no sequence of {@code batch} has, when more than {@link #KEEP} have them. */
    void trim(Batch batch) {
        if (uploaded.size() <= KEEP) return;
        uploaded.entrySet().removeIf(e -> {
            if (inBatch(e.getKey(), batch)) return false;
            close(e.getValue());
            return true;
        });
    }

    private static boolean inBatch(LinearHook hook, Batch batch) {
        for (int e = 0; e < batch.size(); e++) {
            Sequence s = batch.sequence(e);
            for (int h = 0; h < s.hookCount(); h++) if (s.hook(h) == hook) return true;
        }
        return false;
    }

    /**
     * {@code update}'s terms as the sites of device adapters, in order: each term joins the first group of its scale
     * and rank that has no term at its site yet.
     *
     * @throws DeviceException if a term adapts a projection other than q, k, v, o, gate, up and down
     */
    static List<Group> groups(LowRankUpdate update) {
        List<Group> groups = new ArrayList<>();
        for (LowRankUpdate.Term t : update.terms()) {
            if (t.site().kind().compareTo(LinearSite.Kind.DOWN) > 0) {
                throw new DeviceException("adapters on the GPU change q, k, v, o, gate, up and down; this one also changes " + t.site()
                        + ": use --device cpu");
            }
            Group group = null;
            for (Group g : groups) {
                if (Float.compare(g.scale(), t.scale()) == 0 && g.rank() == t.rank() && !hasSite(g, t.site())) {
                    group = g;
                    break;
                }
            }
            if (group == null) groups.add(group = new Group(t.scale(), t.rank(), new ArrayList<>()));
            Rows a = Rows.of(t.a()), bt = Rows.of(t.bt());
            group.sites().add(new VeraSiteWeights(t.site(), t.in(), t.out(), t.lambdaB(), t.lambdaD(), a.data(), a.stride(), bt.data(), bt.stride()));
        }
        return groups;
    }

    private static boolean hasSite(Group g, LinearSite site) {
        for (VeraSiteWeights s : g.sites()) if (s.site().equals(site)) return true;
        return false;
    }

    /** A matrix as {@link VeraSiteWeights} takes it: rows {@code stride} apart from element 0 of {@code data}. */
    record Rows(float[] data, int stride) {
        /**
         * The view's own array when it starts at element 0 and holds whole rows (so the upload is shared with every
         * other view of that array); else a copy of its rows.
         */
        static Rows of(FloatRows m) {
            if (m.offset() == 0 && (long) m.rows() * m.stride() <= m.data().length) return new Rows(m.data(), m.stride());
            float[] copy = new float[m.rows() * m.cols()];
            for (int r = 0; r < m.rows(); r++) System.arraycopy(m.data(), m.offset() + r * m.stride(), copy, r * m.cols(), m.cols());
            return new Rows(copy, Math.max(1, m.cols()));
        }
    }

    private static void close(DeviceVeraAdapter[] adapters) {
        for (DeviceVeraAdapter a : adapters) if (a != null) a.close();
    }

    @Override
    public void close() {
        for (DeviceVeraAdapter[] a : uploaded.values()) close(a);
        uploaded.clear();
        shared.close();
    }
}

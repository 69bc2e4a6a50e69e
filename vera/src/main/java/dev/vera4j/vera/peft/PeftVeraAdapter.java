package dev.vera4j.vera.peft;

import dev.vera4j.vera.Projections;
import dev.vera4j.vera.VeraConfig;
import dev.vera4j.vera.VeraLambdas;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraTarget;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A PEFT VeRA adapter in memory: its {@code adapter_config.json}, the {@code λ_b}/{@code λ_d} vectors of every adapted
 * site and, when it was saved with {@code save_projection=True}, the stored {@code vera_A}/{@code vera_B}; plus how
 * the tensors were stored, so that {@link PeftExporter} writes the same files back.
 *
 * <pre>{@code
 * PeftVeraAdapter a = PeftImporter.read(Path.of("my-vera-adapter"));
 * VeraLambdas q0 = a.lambdas().get(new VeraSite(0, VeraTarget.Q));
 * Projections p = a.projections().orElseGet(() -> Projections.generate(a.toVeraConfig(true), inMax, outMax));
 * }</pre>
 *
 * @param config      the adapter config, as read
 * @param lambdas     the λ vectors by site (sorted, not empty)
 * @param projections the stored shared matrices, present exactly when {@code config.saveProjection()}
 * @param storage     dtypes and safetensors metadata of the tensor file
 */
public record PeftVeraAdapter(PeftVeraConfig config, SortedMap<VeraSite, VeraLambdas> lambdas,
                              Optional<Projections> projections, Storage storage) {

    /**
     * How the tensors are (or will be) stored: dtype of the λ vectors, dtype of {@code vera_A}/{@code vera_B} and the
     * safetensors {@code __metadata__}. PEFT's own is {@link #PEFT}.
     */
    public record Storage(SafetensorsDtype lambdaDtype, SafetensorsDtype projectionDtype, Map<String, String> metadata) {
        /** What PEFT writes for an fp32 model: F32 tensors, {@code {"format": "pt"}}. */
        public static final Storage PEFT = new Storage(SafetensorsDtype.F32, SafetensorsDtype.F32, Map.of("format", "pt"));

        public Storage {
            if (!lambdaDtype.isFloat() || !projectionDtype.isFloat()) {
                throw new IllegalArgumentException("VeRA tensors must be stored as F32, F16, BF16 or F64, not "
                        + lambdaDtype + "/" + projectionDtype);
            }
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }

    /**
     * Checks the pieces against each other.
     *
     * @throws IllegalArgumentException if there are no sites, a λ_d length differs from r, projections are present
     *                                  but not wanted (or the reverse), or a λ_b is longer than B has rows
     */
    public PeftVeraAdapter {
        if (lambdas.isEmpty()) {
            throw new IllegalArgumentException("the adapter has no vera_lambda tensors");
        }
        for (Map.Entry<VeraSite, VeraLambdas> e : lambdas.entrySet()) {
            if (e.getValue().rank() != config.rank()) {
                throw new IllegalArgumentException(e.getKey() + ": vera_lambda_d has " + e.getValue().rank()
                        + " elements but r = " + config.rank());
            }
        }
        if (projections.isPresent() != config.saveProjection()) {
            throw new IllegalArgumentException(config.saveProjection()
                    ? "save_projection is true but vera_A/vera_B are missing"
                    : "save_projection is false but vera_A/vera_B are present");
        }
        if (projections.isPresent()) {
            Projections p = projections.get();
            if (p.rank() != config.rank()) {
                throw new IllegalArgumentException("vera_A/vera_B have rank " + p.rank() + " but r = " + config.rank());
            }
            for (Map.Entry<VeraSite, VeraLambdas> e : lambdas.entrySet()) {
                if (e.getValue().out() > p.outMax()) {
                    throw new IllegalArgumentException(e.getKey() + ": vera_lambda_b has " + e.getValue().out()
                            + " elements but vera_B only " + p.outMax() + " rows");
                }
            }
        }
        lambdas = Collections.unmodifiableSortedMap(new TreeMap<>(lambdas));
    }

    /** The targets that carry λ vectors in at least one layer. */
    public Set<VeraTarget> targets() {
        EnumSet<VeraTarget> set = EnumSet.noneOf(VeraTarget.class);
        lambdas.keySet().forEach(s -> set.add(s.target()));
        return Collections.unmodifiableSet(set);
    }

    /** The layers that carry λ vectors, ascending. */
    public SortedSet<Integer> layers() {
        TreeSet<Integer> set = new TreeSet<>();
        lambdas.keySet().forEach(s -> set.add(s.layer()));
        return Collections.unmodifiableSortedSet(set);
    }

    /**
     * The projections to use on a model whose adapted layers are at most {@code inMax} wide and {@code outMax} tall:
     * the stored ones when the adapter has them, else regenerated from {@code projection_prng_key} as PEFT does when
     * loading such an adapter.
     *
     * @throws IllegalArgumentException if stored projections are smaller than the model needs
     */
    public Projections projectionsFor(int inMax, int outMax, boolean fusedMultiplyAdd) {
        if (projections.isPresent()) {
            Projections p = projections.get();
            if (p.inMax() < inMax || p.outMax() < outMax) {
                throw new IllegalArgumentException("stored vera_A/vera_B cover layers up to " + p.outMax() + " x "
                        + p.inMax() + " but the model needs " + outMax + " x " + inMax);
            }
            return p;
        }
        return Projections.generate(toVeraConfig(fusedMultiplyAdd), inMax, outMax);
    }

    /**
     * The engine's configuration: seed, rank and {@code d_initial} from the config, targets as present in the tensors,
     * {@code layers_to_transform} as configured.
     */
    public VeraConfig toVeraConfig(boolean fusedMultiplyAdd) {
        return config.toVeraConfig(targets(), fusedMultiplyAdd);
    }
}

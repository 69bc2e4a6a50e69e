package dev.vera4j.vera.train;

import dev.vera4j.gguf.GgmlType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The training loop: per optimizer step, the next {@code batch · accum} examples of the fixed-seed order go through
 * {@link BatchGradients} (a {@link Backward} here, one example at a time, or shards of the batch elsewhere: their
 * gradients accumulate, scaled to the mean over all their loss targets), the
 * global gradient norm is clipped, and {@link AdamW} updates λ_b and λ_d with their scheduled learning rates. Every
 * {@code evalEvery} steps (then also before the first step, and always at the end) the validation set's mean loss is measured; every {@code saveEvery} steps,
 * at the end, and when {@code stop} turns true the adapter and a {@link Checkpoint} are written.
 *
 * <pre>{@code
 * Trainer t = new Trainer(backward, lambdas, train, valid, cfg, Path.of("my.vera.gguf"), Path.of("my.vera.gguf.ckpt"), "sig");
 * Trainer.Result r = t.run(listener, () -> false);
 * }</pre>
 */
public final class Trainer {
    /** Progress of one optimizer step; {@code tokens} counts loss targets seen so far in this run. */
    public record StepInfo(long step, long totalSteps, double loss, double gradNorm, double lrB, double lrD,
                           long tokens, double elapsedSeconds) {}

    /** Receives progress; called on the training thread. */
    public interface Listener {
        void step(StepInfo info);

        default void eval(long step, double loss) {}

        default void saved(long step, Path adapter) {}
    }

    /** How a run ended: steps completed, last training and validation loss (NaN when none), whether it was stopped. */
    public record Result(long steps, double lastLoss, double evalLoss, boolean stopped, double seconds) {}

    private final BatchGradients bw;
    private final Trainable params;
    private final Dataset train, valid;
    private final TrainConfig cfg;
    private final AdamW opt;
    private final Path output, checkpoint;
    private final String signature;
    private long step;
    private int[] order;
    private long orderEpoch = -1;

    /**
     * @param valid      validation data, or {@code null}
     * @param output     where the adapter is written (at saves and at the end)
     * @param checkpoint where checkpoints go, or {@code null} for none
     * @param signature  identifies the run in checkpoints
     */
    public Trainer(BatchGradients bw, Trainable params, Dataset train, Dataset valid, TrainConfig cfg, Path output,
                   Path checkpoint, String signature) {
        this.bw = bw;
        this.params = params;
        this.train = train;
        this.valid = valid;
        this.cfg = cfg;
        this.opt = new AdamW(params, cfg.adam());
        this.output = output;
        this.checkpoint = checkpoint;
        this.signature = signature;
        for (Example e : train.examples()) checkFits(e);
        if (valid != null) for (Example e : valid.examples()) checkFits(e);
    }

    private void checkFits(Example e) {
        if (e.length() > bw.maxSeq()) throw new IllegalArgumentException("example of " + e.length() + " positions exceeds --seq " + bw.maxSeq());
    }

    /** Steps completed so far. */
    public long step() { return step; }

    /**
     * Continues from a checkpoint.
     *
     * @throws IllegalArgumentException if it belongs to another run
     */
    public void resume(Checkpoint c) {
        if (!c.signature().equals(signature) || c.seed() != cfg.seed()) {
            throw new IllegalArgumentException("the checkpoint is from a different run (" + c.signature() + ", seed " + c.seed()
                    + "); this run is " + signature + ", seed " + cfg.seed());
        }
        c.restore(params, opt);
        step = c.step();
    }

    /** Trains until {@code cfg.steps()} steps are done or {@code stop} says so. */
    public Result run(Listener listener, BooleanSupplier stop) {
        long start = System.nanoTime(), tokens = 0;
        double last = Double.NaN, evalLoss = Double.NaN;
        boolean stopped = false;
        if (valid != null && step == 0 && cfg.evalEvery() > 0) {
            evalLoss = evaluate(valid);   // the starting point of the curve
            listener.eval(0, evalLoss);
        }
        while (step < cfg.steps()) {
            if (stop.getAsBoolean()) {
                stopped = true;
                break;
            }
            long count = 0;
            int per = cfg.examplesPerStep();
            for (int i = 0; i < per; i++) count += example(step * per + i).targets();
            params.zeroGrad();
            float scale = count == 0 ? 0f : (float) (1.0 / count);
            List<Example> batch = new ArrayList<>(per);
            for (int i = 0; i < per; i++) batch.add(example(step * per + i));
            if (params.dropout() != null) params.dropout().step(step);   // the masks of this step
            double sum = bw.accumulate(batch, scale);
            double norm = params.gradNorm();
            if (cfg.clip() > 0 && norm > cfg.clip()) params.scaleGrad((float) (cfg.clip() / norm));
            double f = cfg.schedule().factor(step);
            double lrB = cfg.lrB() * f, lrD = cfg.lrD() * f;
            opt.step((float) lrB, (float) lrD);
            step++;
            tokens += count;
            last = count == 0 ? Double.NaN : sum / count;
            listener.step(new StepInfo(step, cfg.steps(), last, norm, lrB, lrD, tokens, (System.nanoTime() - start) / 1e9));
            boolean end = step == cfg.steps();
            if (valid != null && (end || (cfg.evalEvery() > 0 && step % cfg.evalEvery() == 0))) {
                evalLoss = evaluate(valid);
                listener.eval(step, evalLoss);
            }
            if (!end && cfg.saveEvery() > 0 && step % cfg.saveEvery() == 0) save(listener);
        }
        save(listener);
        return new Result(step, last, evalLoss, stopped, (System.nanoTime() - start) / 1e9);
    }

    /** The mean loss per target over {@code data}. */
    public double evaluate(Dataset data) {
        long count = 0;
        for (Example e : data.examples()) count += e.targets();
        return count == 0 ? Double.NaN : bw.loss(data.examples()) / count;
    }

    /** Writes the adapter and (when configured) the checkpoint of the current step. */
    public void save(Listener listener) {
        try {
            params.write(output);
            if (checkpoint != null) Checkpoint.capture(step, cfg.seed(), signature, params, opt).write(checkpoint);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save to " + output + ": " + e.getMessage(), e);
        }
        listener.saved(step, output);
    }

    /** The {@code k}-th example of the endless, epoch-by-epoch shuffled stream. */
    private Example example(long k) {
        long epoch = k / train.size();
        if (epoch != orderEpoch) {
            order = train.order(cfg.seed(), epoch);
            orderEpoch = epoch;
        }
        return train.get(order[(int) (k % train.size())]);
    }
}

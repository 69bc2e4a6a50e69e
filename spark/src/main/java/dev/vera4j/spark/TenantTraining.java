package dev.vera4j.spark;

import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.template.ChatTemplate;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraConfig;
import dev.vera4j.vera.train.AdamW;
import dev.vera4j.vera.train.Backward;
import dev.vera4j.vera.train.Dataset;
import dev.vera4j.vera.train.Schedule;
import dev.vera4j.vera.train.TrainConfig;
import dev.vera4j.vera.train.TrainableLambdas;
import dev.vera4j.vera.train.Trainer;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * How {@code train-many} trains each key's adapter: the settings of {@code vera4j train} (with its defaults) for a
 * run over one key's examples, in one task, with the same {@link Trainer} and {@link Backward} as {@code vera4j train}
 * (so each adapter equals {@code vera4j train} on that key's rows alone). {@code epochs > 0} sets the steps from the
 * key's example count, as {@code --epochs} does.
 *
 * <pre>{@code
 * TenantTraining t = new TenantTraining(spec, 100, 0, 8, 1, 1e-2, 1e-2, Schedule.Kind.CONSTANT, 0, 0.9, 0.999, 1e-8, 0, 1.0, null);
 * TenantTraining.Outcome o = t.train("alice", aliceJsonLines, "hdfs:///adapters", "alice.gguf");
 * }</pre>
 *
 * @param chatTemplate a template name or source for chat rows, or null for the model's own
 */
public record TenantTraining(TrainSpec spec, int steps, double epochs, int batch, int accum, double lrB, double lrD,
                             Schedule.Kind schedule, int warmup, double beta1, double beta2, double adamEps,
                             double weightDecay, double clip, String chatTemplate)
        implements Serializable {

    /** One key's outcome: its examples, the mean loss over them after training, the adapter file written. */
    public record Outcome(int examples, double finalLoss, String file) {}

    /** The optimizer settings for {@code examples} examples. */
    public TrainConfig config(int examples) {
        int n = epochs > 0 ? (int) Math.max(1, Math.ceil(epochs * examples / (batch * accum))) : steps;
        return new TrainConfig(n, batch, accum, lrB, lrD, new Schedule(schedule, warmup, n),
                new AdamW.Settings(beta1, beta2, adamEps, weightDecay), clip, 0, 0, spec.seed());
    }

    /**
     * Trains on {@code lines} (JSON lines as a {@code .jsonl} training file holds them) on this JVM's model and writes
     * the adapter as {@code dir/name} (any Hadoop file system; a temporary name first, then a rename).
     */
    public Outcome train(String key, List<String> lines, String dir, String name) {
        return ExecutorModels.use(spec.modelKey(), loaded -> {
            Model model = loaded.model();
            ChatTemplate template = template(model);
            Dataset data = Dataset.fromJsonLines("key " + key, lines, model.tokenizer(), template, spec.seq());
            BaseFingerprint fp = BaseFingerprint.of(Path.of(spec.model()));
            TrainableLambdas params = TrainableLambdas.of(TrainableLambdas.freshAdapter(fp, spec.adapter()), fp);
            Backward bw = new Backward((CpuBackend) model.backend(), params, spec.seq(), spec.checkpointing());
            Path tmp = null;
            try {
                tmp = Files.createTempFile("vera4j-tenant", ".gguf");
                Trainer t = new Trainer(bw, params, data, null, config(data.size()), tmp, null, "key " + key);
                BooleanSupplier never = () -> false;
                t.run(new Trainer.Listener() {
                    @Override public void step(Trainer.StepInfo info) {}
                }, never);
                double loss = t.evaluate(data);
                return new Outcome(data.size(), loss, publish(tmp, dir, name));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the adapter of key " + key + " to " + dir + ": " + e.getMessage(), e);
            } finally {
                if (tmp != null) {
                    try {
                        Files.deleteIfExists(tmp);
                    } catch (IOException ignored) {
                        // a leftover temporary file in the executor's temp folder
                    }
                }
            }
        });
    }

    /** Copies {@code local} to {@code dir/name} through a temporary name, replacing an older file; returns its path. */
    private static String publish(Path local, String dir, String name) throws IOException {
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(dir, name);
        org.apache.hadoop.fs.Path temp = new org.apache.hadoop.fs.Path(dir, "." + name + ".tmp");
        FileSystem fs = target.getFileSystem(new Configuration());
        fs.setWriteChecksum(false);   // no .crc side files next to the adapters (serve --adapters reads the folder)
        fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), temp);
        if (fs.exists(target)) fs.delete(target, false);
        if (!fs.rename(temp, target)) throw new IOException("cannot rename " + temp + " to " + target);
        return fs.makeQualified(target).toString();
    }

    private ChatTemplate template(Model model) {
        if (chatTemplate != null) return ChatTemplate.names().contains(chatTemplate) ? ChatTemplate.named(chatTemplate) : ChatTemplate.parse(chatTemplate);
        String src = model.metadata().getStringOr("tokenizer.chat_template", null);
        return src == null ? null : ChatTemplate.parse(src);
    }

    /** The default targets of {@code vera4j train} for a base: q,v, or qkv where q/k/v are fused. */
    public static VeraConfig adapterFor(BaseFingerprint fp, long seed, int rank, float dInitial, java.util.Set<dev.vera4j.vera.VeraTarget> targets) {
        var t = targets != null ? targets : fp.fused() ? java.util.EnumSet.of(dev.vera4j.vera.VeraTarget.QKV)
                : java.util.EnumSet.of(dev.vera4j.vera.VeraTarget.Q, dev.vera4j.vera.VeraTarget.V);
        return new VeraConfig(seed, rank, dInitial, t, List.of(), true);
    }
}

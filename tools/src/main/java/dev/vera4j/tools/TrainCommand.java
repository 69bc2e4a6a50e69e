package dev.vera4j.tools;

import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.json.Json;
import dev.vera4j.engine.template.ChatTemplate;
import dev.vera4j.vera.AdapterFile;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraConfig;
import dev.vera4j.vera.VeraTarget;
import dev.vera4j.vera.train.AdamW;
import dev.vera4j.vera.train.Backward;
import dev.vera4j.vera.train.BatchGradients;
import dev.vera4j.vera.train.Checkpoint;
import dev.vera4j.vera.train.Dataset;
import dev.vera4j.vera.train.Schedule;
import dev.vera4j.vera.train.TrainConfig;
import dev.vera4j.vera.lora.LoraFile;
import dev.vera4j.vera.train.Trainable;
import dev.vera4j.vera.train.TrainableLambdas;
import dev.vera4j.vera.train.Dropout;
import dev.vera4j.vera.train.TrainableLora;
import dev.vera4j.vera.train.Trainer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code vera4j train -m BASE.gguf --data train.txt|train.jsonl -o my.vera.gguf ...}: fine-tunes a fresh VeRA
 * adapter (only λ_b and λ_d; base weights and the shared projections stay frozen) with AdamW on the CPU, printing
 * progress, evaluating on {@code --valid}, writing the adapter and a checkpoint ({@code OUT.ckpt}) every
 * {@code --save-every} steps, at the end, and on Ctrl-C; {@code --resume} continues from that checkpoint.
 *
 * <p>Where a step's gradients are computed is a {@link Gradients}: in this process by default; the {@code spark}
 * module's {@code vera4j-spark train} passes one that splits each batch over a cluster, keeping everything else
 * (flags, data, optimizer, schedule, checkpoints) this command's.
 *
 * <pre>{@code
 * int code = new TrainCommand().run(new String[] {"-m", "base.gguf", "--data", "train.txt", "-o", "my.vera.gguf"}, System.out, System.err);
 * }</pre>
 */
public final class TrainCommand implements Command {
    /**
     * What a run trains, for code that computes its gradients elsewhere: the base model, the worker threads, the
     * adapter's shape (its λ's start as {@code fresh}'s), the longest sequence and whether blocks are recomputed.
     */
    public record Setup(Path model, int threads, VeraConfig adapter, int seq, boolean checkpointing) {}

    /** Chooses how a run's steps compute their gradients. */
    @FunctionalInterface
    public interface Gradients {
        /**
         * @param local  this process's trainer over the driver's model (the default answer)
         * @param params the λ's the optimizer updates: an implementation reads their values and adds gradients to them
         */
        BatchGradients open(Backward local, TrainableLambdas params, Setup setup);
    }

    /** Every step's gradients in this process. */
    private static final Gradients LOCAL = (local, params, setup) -> local;

    private final Gradients gradients;

    /** Trains in this process. */
    public TrainCommand() { this(LOCAL); }

    /** Trains with {@code gradients} deciding where each step's gradients are computed. */
    public TrainCommand(Gradients gradients) { this.gradients = gradients; }

    @Override public String name() { return "train"; }
    @Override public String summary() { return "fine-tune a VeRA (λ_b, λ_d) or LoRA (A, B) adapter on text or JSONL data"; }
    @Override public String usage() {
        return "-m BASE.gguf --data FILE [--valid FILE] -o OUT.gguf [--method vera|lora] [--rank R] [--alpha A] [--dropout P] [--targets q,v] [--lr X] "
                + "(--steps N | --epochs N) [--seq N] [--batch B] [--seed S] [--warmup N] [--schedule constant|linear|cosine] "
                + "[--weight-decay X] [--clip X] [--eval-every N] [--save-every N] [--resume | --force] [--log run.jsonl|run.csv] [--checkpointing]";
    }

    /** Runs {@code vera4j train} with the flags of {@link #usage()}; returns the exit code. */
    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec()
                .flag("help", "-h", "--help")
                .value("model", "-m", "--model").value("data", "--data").value("valid", "--valid").value("output", "-o", "--output")
                .value("method", "--method").value("alpha", "--alpha").value("dropout", "--dropout")
                .value("rank", "-r", "--rank").value("targets", "--targets").value("d-initial", "--d-initial")
                .value("lr", "--lr").value("lr-b", "--lr-b").value("lr-d", "--lr-d")
                .value("steps", "--steps").value("epochs", "--epochs").value("seq", "--seq").value("batch", "--batch")
                .value("accum", "--accum").value("seed", "--seed").value("warmup", "--warmup").value("schedule", "--schedule")
                .value("weight-decay", "--weight-decay").value("beta1", "--beta1").value("beta2", "--beta2").value("adam-eps", "--adam-eps")
                .value("clip", "--clip").value("eval-every", "--eval-every").value("save-every", "--save-every")
                .flag("resume", "--resume").flag("force", "--force").value("log", "--log").value("log-every", "--log-every")
                .flag("checkpointing", "--checkpointing").value("text-mode", "--text-mode").value("chat-template", "--chat-template").value("threads", "-t", "--threads")
                .parse(argv);
        if (a.has("help")) {
            help(out);
            return 0;
        }
        if (!a.positional().isEmpty()) throw new UsageException("unexpected argument '" + a.positional().getFirst() + "'");
        Path modelPath = ModelArg.require(a, "-m BASE.gguf", err);
        Path dataPath = a.requirePath("data", "--data FILE");
        Path output = a.requirePath("output", "-o OUT.gguf");
        Path validPath = a.has("valid") ? Path.of(a.get("valid")) : null;
        String method = a.get("method", "vera");
        if (!method.equals("vera") && !method.equals("lora")) throw new UsageException("--method must be lora or vera, got '" + method + "'");
        boolean lora = method.equals("lora");
        int rank = a.getInt("rank", lora ? 8 : VeraConfig.DEFAULT_RANK, 1, 1 << 16);
        float alpha = (float) a.getDouble("alpha", rank, 1e-9, 1e9);
        if (a.has("alpha") && !lora) throw new UsageException("--alpha is LoRA's (--method lora); VeRA's scale is trained in λ_b");
        if (a.has("d-initial") && lora) throw new UsageException("--d-initial is VeRA's; LoRA starts from B = 0");
        double dropout = a.getDouble("dropout", 0, 0, 0.999);
        if (dropout != 0 && !lora) throw new UsageException("--dropout is LoRA's (--method lora) for now; VeRA trains without dropout");
        EnumSet<VeraTarget> chosen = a.has("targets") ? parseTargets(a.get("targets")) : null;
        float dInitial = (float) a.getDouble("d-initial", VeraConfig.DEFAULT_D_INITIAL, -1e6, 1e6);
        double lr = a.getDouble("lr", 1e-2, 0, 10);
        double lrB = a.getDouble("lr-b", lr, 0, 10), lrD = a.getDouble("lr-d", lr, 0, 10);
        if (a.has("steps") && a.has("epochs")) throw new UsageException("give --steps or --epochs, not both");
        int seq = a.getInt("seq", 256, 1, 1 << 16);
        int batch = a.getInt("batch", 8, 1, 1 << 16), accum = a.getInt("accum", 1, 1, 1 << 16);
        long seed = a.getLong("seed", 0);
        int warmup = a.getInt("warmup", 0, 0, Integer.MAX_VALUE);
        Schedule.Kind kind;
        try {
            kind = Schedule.Kind.parse(a.get("schedule", "constant"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        AdamW.Settings adam = new AdamW.Settings(a.getDouble("beta1", 0.9, 0, 0.999999), a.getDouble("beta2", 0.999, 0, 0.9999999),
                a.getDouble("adam-eps", 1e-8, 1e-30, 1), a.getDouble("weight-decay", 0, 0, 10));
        double clip = a.getDouble("clip", 1.0, 0, 1e9);
        int evalEvery = a.getInt("eval-every", 0, 0, Integer.MAX_VALUE), saveEvery = a.getInt("save-every", 0, 0, Integer.MAX_VALUE);
        int threads = ThreadsOption.of(a, err);
        Dataset.TextMode mode = switch (a.get("text-mode", "documents")) {
            case "documents" -> Dataset.TextMode.DOCUMENTS;
            case "windows" -> Dataset.TextMode.WINDOWS;
            default -> throw new UsageException("--text-mode must be documents or windows");
        };
        Path checkpointPath = Path.of(output + ".ckpt");
        if (a.has("resume") && a.has("force")) throw new UsageException("give --resume or --force, not both");
        if (a.has("resume") && !Files.exists(checkpointPath)) throw new UsageException("--resume: no checkpoint at " + checkpointPath);
        OutputCheck.writable(output, checkpointPath, a.has("resume") || a.has("force"));

        try (Model model = Model.load(modelPath, threads, false)) {   // no one-token products: no regrouped Q4_0 copies
            boolean jsonl = dataPath.toString().endsWith(".jsonl") || (validPath != null && validPath.toString().endsWith(".jsonl"));
            ChatTemplate template = jsonl ? chatTemplate(a.get("chat-template"), model) : null;   // only chat data needs one
            Dataset train = Dataset.load(dataPath, model.tokenizer(), template, seq, mode);
            Dataset valid = validPath == null ? null : Dataset.load(validPath, model.tokenizer(), template, seq, mode);
            int steps = a.has("epochs")
                    ? (int) Math.max(1, Math.ceil(a.getDouble("epochs", 1, 1e-9, 1e6) * train.size() / (batch * accum)))
                    : a.getInt("steps", 100, 1, Integer.MAX_VALUE);
            int logEvery = a.getInt("log-every", Math.max(1, steps / 20), 1, Integer.MAX_VALUE);
            TrainConfig cfg = new TrainConfig(steps, batch, accum, lrB, lrD, new Schedule(kind, warmup, steps), adam, clip,
                    evalEvery, saveEvery, seed);
            BaseFingerprint fp = BaseFingerprint.of(modelPath);
            // PEFT's default, q_proj and v_proj; Phi-3 has them as one fused qkv_proj
            EnumSet<VeraTarget> targets = chosen != null ? chosen : fp.fused() ? EnumSet.of(VeraTarget.QKV) : EnumSet.of(VeraTarget.Q, VeraTarget.V);
            Trainable params;
            VeraConfig adapterConfig = null;
            String describe, signature;
            long need;
            if (lora) {
                LoraFile fresh = TrainableLora.fresh(fp, rank, alpha, targets, seed);
                params = TrainableLora.of(fresh, fp, new Dropout(dropout, seed));
                describe = String.format(Locale.ROOT, "LoRA r=%d alpha=%s", rank, alpha) + (dropout == 0 ? "" : " dropout=" + dropout);
                need = memoryEstimate(model, fresh.parameterCount(), 0, seq, a.has("checkpointing"), train, valid);
                signature = String.format(Locale.ROOT, "base=%s method=lora r=%d alpha=%s targets=%s seq=%d batch=%dx%d data=%s(%d)", fp.hash(), rank,
                        alpha, targets, seq, batch, accum, dataPath.getFileName(), train.size()) + (dropout == 0 ? "" : " dropout=" + dropout);
            } else {
                adapterConfig = new VeraConfig(seed, rank, dInitial, targets, List.of(), true);
                AdapterFile fresh = TrainableLambdas.freshAdapter(fp, adapterConfig);
                params = TrainableLambdas.of(fresh, fp);
                describe = "VeRA r=" + rank;
                need = memoryEstimate(model, fresh.parameterCount(), 4L * rank * (fresh.inMax() + 2L * fresh.outMax()), seq,
                        a.has("checkpointing"), train, valid);
                signature = String.format(Locale.ROOT, "base=%s r=%d targets=%s seq=%d batch=%dx%d data=%s(%d)", fp.hash(), rank,
                        targets, seq, batch, accum, dataPath.getFileName(), train.size());
            }
            long max = Runtime.getRuntime().maxMemory();
            out.printf(Locale.ROOT, "training %s: %s on %s (%,d trainable values); %d examples (%,d target tokens)%s; %d steps of %d x %d%n",
                    modelPath.getFileName(), describe, targets.stream().map(VeraTarget::shortName).toList(), params.parameterCount(),
                    train.size(), train.targets(), valid == null ? "" : ", " + valid.size() + " validation", steps, batch, accum);
            // the heap figure is what -Xmx must allow; the resident one adds the mapped base (every page of it is read
            // each step) and the JVM's own memory, as the load report counts them
            long resident = need + MemoryEstimate.of(model, model.info().fileBytes(), 0).total();
            out.printf(Locale.ROOT, "memory: about %s of heap needed (max heap %s); about %s resident in all with the mapped base and the JVM%n",
                    mib(need), mib(max), mib(resident));
            if (need > max) {
                throw new IllegalStateException("training needs about " + mib(need) + " of heap but -Xmx allows " + mib(max)
                        + "; lower --seq or --rank, or raise -Xmx");
            }
            Backward bw = new Backward((CpuBackend) model.backend(), params, seq, a.has("checkpointing"));
            BatchGradients grads;
            if (params instanceof TrainableLambdas lambdas) {
                grads = gradients.open(bw, lambdas, new Setup(modelPath, threads, adapterConfig, seq, a.has("checkpointing")));
            } else if (gradients == LOCAL) {
                grads = bw;
            } else {
                throw new UsageException("--method lora trains in one process only (vera4j train); distributed training takes VeRA adapters");
            }
            Trainer trainer = new Trainer(grads, params, train, valid, cfg, output, checkpointPath, signature);
            if (a.has("resume")) {
                trainer.resume(Checkpoint.read(checkpointPath));
                out.println("resumed from " + checkpointPath + " at step " + trainer.step());
            }
            return train(trainer, cfg, a.has("log") ? Path.of(a.get("log")) : null, a.has("resume"), logEvery, out, err);
        }
    }

    private static int train(Trainer trainer, TrainConfig cfg, Path logPath, boolean append, int logEvery, PrintStream out, PrintStream err) {
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                finished.await(120, TimeUnit.SECONDS);   // let the loop finish its step and save
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "vera4j-train-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try (RunLog log = logPath == null ? null : new RunLog(logPath, append)) {
            boolean live = System.console() != null;
            long startStep = trainer.step();
            double[] lastEval = {Double.NaN};
            Trainer.Listener listener = new Trainer.Listener() {
                @Override
                public void step(Trainer.StepInfo s) {
                    if (log != null) log.step(s);
                    double tokPerSec = s.tokens() / Math.max(1e-9, s.elapsedSeconds());
                    double eta = s.elapsedSeconds() / (s.step() - startStep) * (s.totalSteps() - s.step());
                    Runtime rt = Runtime.getRuntime();
                    String line = String.format(Locale.ROOT, "step %d/%d  loss %.4f  eval %s  lr %.2e  %.0f tok/s  ETA %s  heap %s",
                            s.step(), s.totalSteps(), s.loss(), Double.isNaN(lastEval[0]) ? "-" : String.format(Locale.ROOT, "%.4f", lastEval[0]),
                            s.lrB(), tokPerSec, duration(eta), mib(rt.totalMemory() - rt.freeMemory()));
                    if (live) {
                        err.print("\r" + line + "   ");
                        if (s.step() == s.totalSteps()) err.println();
                    } else if (s.step() % logEvery == 0 || s.step() == s.totalSteps()) {
                        out.println(line);
                    }
                }

                @Override
                public void eval(long step, double loss) {
                    lastEval[0] = loss;
                    if (log != null) log.eval(step, loss);
                    if (live) err.println();
                    out.printf(Locale.ROOT, "eval at step %d: loss %.4f, perplexity %.3f%n", step, loss, Math.exp(loss));
                }
            };
            Trainer.Result r = trainer.run(listener, stop::get);
            if (live && r.stopped()) err.println();   // the progress line has no newline yet: the summary gets its own
            out.printf(Locale.ROOT, "%s after %d/%d steps in %s: last train loss %.4f%s; adapter written%n",
                    r.stopped() ? "stopped" : "done", r.steps(), cfg.steps(), duration(r.seconds()), r.lastLoss(),
                    Double.isNaN(r.evalLoss()) ? "" : String.format(Locale.ROOT, ", validation loss %.4f (perplexity %.3f)", r.evalLoss(), Math.exp(r.evalLoss())));
            return 0;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it is waiting for the latch released above
            }
        }
    }

    /** Heap a run needs: activations, 6 floats per trained value (value, gradient, two moments, copies), {@code projections} bytes, data. */
    private static long memoryEstimate(Model model, long params, long projections, int seq, boolean recompute, Dataset train, Dataset valid) {
        long data = 0;
        for (Dataset d : valid == null ? List.of(train) : List.of(train, valid)) {
            for (var e : d.examples()) data += 5L * e.tokens().length + 64;
        }
        return Backward.bytesFor(model.config(), seq, recompute) + 4 * 6 * params + projections + data + (64L << 20);
    }

    private static ChatTemplate chatTemplate(String flag, Model model) {
        if (flag != null) {
            if (ChatTemplate.names().contains(flag)) return ChatTemplate.named(flag);
            try {
                return ChatTemplate.parse(Files.readString(Path.of(flag)));
            } catch (IOException e) {
                throw new UsageException("--chat-template: neither a known name " + ChatTemplate.names() + " nor a readable file: " + flag);
            }
        }
        String src = model.metadata().getStringOr("tokenizer.chat_template", null);
        try {
            return src == null ? null : ChatTemplate.parse(src);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot use the model's chat template (pass --chat-template NAME|FILE): " + e.getMessage(), e);
        }
    }

    private static EnumSet<VeraTarget> parseTargets(String s) {
        EnumSet<VeraTarget> t = EnumSet.noneOf(VeraTarget.class);
        for (String part : s.split(",")) {
            try {
                t.add(VeraTarget.parse(part.strip()));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        return t;
    }

    static String mib(long bytes) { return String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0); }

    static String duration(double s) {
        if (!Double.isFinite(s)) return "-";
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60) : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
    }

    private static void help(PrintStream out) {
        out.println("usage: vera4j train " + new TrainCommand().usage());
        out.println();
        out.println("Trains a new adapter for BASE: VeRA (default) trains only λ_b and λ_d, the seeded projections stay frozen;");
        out.println("LoRA (--method lora) trains A and B of each adapted layer (a llama.cpp LoRA GGUF). Base weights stay frozen.");
        out.println("  --method M         vera (default) or lora");
        out.println("  --data FILE        .txt: blank-line separated documents (or --text-mode windows: BOS + --seq tokens each);");
        out.println("                     .jsonl: {\"text\"}, {\"prompt\",\"completion\"} (loss on the completion) or {\"messages\"}");
        out.println("                     (rendered with the model's chat template or --chat-template NAME|FILE; loss on assistant turns)");
        out.println("  --valid FILE       validation data, evaluated every --eval-every steps and at the end (loss, perplexity)");
        out.println("  --rank R           rank (VeRA default 256, LoRA 8); VeRA: --d-initial X (0.1); LoRA: --alpha A (default R:");
        out.println("                     scale alpha/r = 1); A starts uniform in ±1/√in, B at 0, as PEFT initializes them");
        out.println("  --dropout P        LoRA: drop each adapter input element with probability P while training (PEFT's");
        out.println("                     lora_dropout; default 0); validation and inference never drop");
        out.println("  --targets LIST     q,k,v,o,gate,up,down (default q,v); Phi-3: qkv,o,gate_up,down (default qkv); experts:");
        out.println("                     gate_exp,up_exp,down_exp (Qwen-MoE) or w1,w3,w2 (Mixtral); gate_shexp,up_shexp,down_shexp");
        out.println("  --lr X             AdamW learning rate (default 1e-2); --lr-b / --lr-d set λ_b's (LoRA: B's) and λ_d's (A's)");
        out.println("  --steps N          optimizer steps (default 100), or --epochs N passes over the data");
        out.println("  --seq N            longest sequence (default 256); --batch B sequences per step (8); --accum K micro-batches (1)");
        out.println("  --schedule S       constant (default), linear or cosine decay, after --warmup N linear warm-up steps");
        out.println("  --weight-decay X   decoupled weight decay (0); --beta1 0.9 --beta2 0.999 --adam-eps 1e-8; --clip X global norm (1, 0: off)");
        out.println("  --checkpointing    keep only each block's input and recompute its activations in the backward pass");
        out.println("  --seed S           projection seed (LoRA: A's initial values) and data order (default 0)");
        out.println("  --save-every N     also write OUT and OUT.ckpt every N steps (always at the end and on Ctrl-C)");
        out.println("  --resume           continue bit-identically from OUT.ckpt");
        out.println("  --force            start afresh over an existing OUT / OUT.ckpt (refused otherwise)");
        out.println("  --log FILE         per-step log, JSONL (or CSV when FILE ends in .csv); --log-every N progress lines");
    }

    /** The per-step log: JSONL objects, or CSV rows when the file name ends in {@code .csv}. */
    private static final class RunLog implements AutoCloseable {
        private final Writer w;
        private final boolean csv;

        RunLog(Path path, boolean append) {
            this.csv = path.getFileName().toString().endsWith(".csv");
            try {
                boolean header = csv && (!append || !Files.exists(path) || Files.size(path) == 0);
                w = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
                if (header) w.write("step,loss,grad_norm,lr_b,lr_d,tokens,elapsed_s,eval_loss\n");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write log " + path + ": " + e.getMessage(), e);
            }
        }

        void step(Trainer.StepInfo s) {
            if (csv) {
                write(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6g,%.6g,%d,%.3f,%n", s.step(), s.loss(), s.gradNorm(), s.lrB(), s.lrD(), s.tokens(), s.elapsedSeconds()));
            } else {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("step", s.step());
                m.put("loss", s.loss());
                m.put("grad_norm", s.gradNorm());
                m.put("lr_b", s.lrB());
                m.put("lr_d", s.lrD());
                m.put("tokens", s.tokens());
                m.put("elapsed_s", s.elapsedSeconds());
                write(Json.write(m) + "\n");
            }
        }

        void eval(long step, double loss) {
            if (csv) {
                write(String.format(Locale.ROOT, "%d,,,,,,,%.6f%n", step, loss));
            } else {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("step", step);
                m.put("eval_loss", loss);
                m.put("eval_perplexity", Math.exp(loss));
                write(Json.write(m) + "\n");
            }
        }

        private void write(String s) {
            try {
                w.write(s);
                w.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the training log: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            try {
                w.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}

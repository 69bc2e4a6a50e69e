package dev.vera4j.vera.train;

import dev.vera4j.engine.json.Json;
import dev.vera4j.engine.json.JsonException;
import dev.vera4j.engine.template.ChatMessage;
import dev.vera4j.engine.template.ChatTemplate;
import dev.vera4j.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Training examples read from a file and cut to at most {@code seq} positions, and their fixed-seed order.
 *
 * <ul>
 *   <li>plain text ({@code .txt} and anything not {@code .jsonl}): one document per blank-line-separated paragraph
 *       ({@link TextMode#DOCUMENTS}, each BOS + text + EOS), or the whole text as one token stream cut into windows
 *       of {@code seq} tokens, each starting with BOS ({@link TextMode#WINDOWS}); loss on every token</li>
 *   <li>JSONL, one object per line: {@code {"text": ...}} (as a document), {@code {"prompt": ..., "completion": ...}}
 *       (loss on the completion and EOS only), or {@code {"messages": [{"role": ..., "content": ...}, ...]}} rendered
 *       with the chat template (loss only on the assistant turns)</li>
 * </ul>
 * A document longer than {@code seq} positions becomes several examples that overlap by one token.
 *
 * <pre>{@code
 * Dataset d = Dataset.load(Path.of("train.jsonl"), tokenizer, template, 256, Dataset.TextMode.DOCUMENTS);
 * int[] order = d.order(seed, epoch);
 * }</pre>
 */
public final class Dataset {
    /** How plain text is split. */
    public enum TextMode { DOCUMENTS, WINDOWS }

    private final List<Example> examples;

    public Dataset(List<Example> examples) {
        if (examples.isEmpty()) throw new IllegalArgumentException("the data set has no examples");
        this.examples = List.copyOf(examples);
    }

    public List<Example> examples() { return examples; }

    public int size() { return examples.size(); }

    public Example get(int i) { return examples.get(i); }

    /** Total loss targets. */
    public long targets() {
        long n = 0;
        for (Example e : examples) n += e.targets();
        return n;
    }

    /** The order of epoch {@code epoch}: a Fisher-Yates shuffle with {@code java.util.Random(seed · 1_000_003 + epoch)}. */
    public int[] order(long seed, long epoch) {
        int[] idx = new int[examples.size()];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Random r = new Random(seed * 1_000_003L + epoch);
        for (int i = idx.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        return idx;
    }

    /**
     * Reads {@code path} (format by extension: {@code .jsonl} or plain text).
     *
     * @param template renders {@code messages} examples; may be {@code null} when there are none
     * @throws IllegalArgumentException naming the file and line when an example is malformed
     */
    public static Dataset load(Path path, Tokenizer tok, ChatTemplate template, int seq, TextMode mode) {
        if (seq < 1) throw new IllegalArgumentException("sequence length must be positive, got " + seq);
        String text;
        try {
            text = Files.readString(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
        if (path.getFileName().toString().endsWith(".jsonl")) return fromJsonLines(path.toString(), Arrays.asList(text.split("\n", -1)), tok, template, seq);
        List<Example> out = new ArrayList<>();
        if (mode == TextMode.WINDOWS) {
            int[] ids = tok.encode(text, false, false);
            int bos = tok.bos();
            // with BOS: each window is BOS + the next seq tokens; without: seq + 1 tokens overlapping by one
            for (int start = 0; start + (bos >= 0 ? 0 : 1) < ids.length; start += seq) {
                int[] w = bos >= 0 ? prepend(bos, Arrays.copyOfRange(ids, start, Math.min(ids.length, start + seq)))
                        : Arrays.copyOfRange(ids, start, Math.min(ids.length, start + seq + 1));
                if (w.length >= 2) out.add(all(w));
            }
        } else {
            for (String doc : text.split("\\R\\s*\\R")) {
                String d = doc.strip();
                if (!d.isEmpty()) split(withEos(tok, tok.encode(d, true, false)), null, seq, out);
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException(path + ": no training examples (empty file?)");
        return new Dataset(out);
    }

    /**
     * The examples of JSON lines as a {@code .jsonl} file holds them ({@code {"text"}}, {@code {"prompt","completion"}}
     * or {@code {"messages"}}; blank lines skipped), e.g. one tenant's rows of a larger table.
     *
     * <pre>{@code
     * Dataset d = Dataset.fromJsonLines("alice", List.of("{\"text\": \"Once upon a time\"}"), model.tokenizer(), null, 256);
     * }</pre>
     *
     * @param source   names the lines in errors ({@code source:line: ...})
     * @param template renders {@code messages} examples; may be {@code null} when there are none
     * @throws IllegalArgumentException naming the source and line when an example is malformed, or when there is none
     */
    public static Dataset fromJsonLines(String source, List<String> lines, Tokenizer tok, ChatTemplate template, int seq) {
        if (seq < 1) throw new IllegalArgumentException("sequence length must be positive, got " + seq);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            try {
                jsonExample(line, tok, template, seq, out);
            } catch (JsonException | IllegalArgumentException | ClassCastException e) {
                throw new IllegalArgumentException(source + ":" + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException(source + ": no training examples (empty file?)");
        return new Dataset(out);
    }

    private static void jsonExample(String line, Tokenizer tok, ChatTemplate template, int seq, List<Example> out) {
        if (!(Json.parse(line) instanceof Map<?, ?> obj)) throw new IllegalArgumentException("expected a JSON object");
        if (obj.get("text") instanceof String t) {
            split(withEos(tok, tok.encode(t, true, false)), null, seq, out);
        } else if (obj.get("prompt") instanceof String p && obj.get("completion") instanceof String c) {
            int[] prompt = tok.encode(p, true, false), completion = withEos(tok, tok.encode(c, false, false));
            boolean[] trained = new boolean[prompt.length + completion.length];
            Arrays.fill(trained, prompt.length, trained.length, true);
            split(concat(prompt, completion), trained, seq, out);
        } else if (obj.get("messages") instanceof List<?> list) {
            if (template == null) throw new IllegalArgumentException("chat examples need a chat template (the model has none; pass --chat-template)");
            List<ChatMessage> msgs = new ArrayList<>();
            for (Object o : list) {
                if (!(o instanceof Map<?, ?> m) || !(m.get("role") instanceof String role) || !(m.get("content") instanceof String content)) {
                    throw new IllegalArgumentException("each message needs string \"role\" and \"content\"");
                }
                msgs.add(new ChatMessage(role, content));
            }
            chat(msgs, tok, template, seq, out);
        } else {
            throw new IllegalArgumentException("expected {\"text\"}, {\"prompt\",\"completion\"} or {\"messages\"}");
        }
    }

    /**
     * Renders growing prefixes of the conversation so that each assistant turn's text (after the generation prompt)
     * is known exactly; tokens of those spans are trained, the rest only conditions.
     */
    private static void chat(List<ChatMessage> msgs, Tokenizer tok, ChatTemplate template, int seq, List<Example> out) {
        List<int[]> pieces = new ArrayList<>();
        List<Boolean> trained = new ArrayList<>();
        String done = "";
        for (int i = 0; i < msgs.size(); i++) {
            boolean assistant = msgs.get(i).role().equals("assistant");
            if (assistant) {
                String prompt = template.render(msgs.subList(0, i), true, Map.of());
                done = piece(done, prompt, tok, false, pieces, trained);
            }
            String full = template.render(msgs.subList(0, i + 1), false, Map.of());
            done = piece(done, full, tok, assistant, pieces, trained);
        }
        int total = 0;
        for (int[] p : pieces) total += p.length;
        int bos = tok.bos();
        boolean addBos = bos >= 0 && (pieces.isEmpty() || pieces.getFirst().length == 0 || pieces.getFirst()[0] != bos);
        int[] ids = new int[total + (addBos ? 1 : 0)];
        boolean[] mask = new boolean[ids.length];
        int k = 0;
        if (addBos) ids[k++] = bos;
        for (int p = 0; p < pieces.size(); p++) {
            for (int id : pieces.get(p)) {
                mask[k] = trained.get(p);
                ids[k++] = id;
            }
        }
        split(ids, mask, seq, out);
    }

    private static String piece(String done, String rendered, Tokenizer tok, boolean train, List<int[]> pieces, List<Boolean> trained) {
        if (!rendered.startsWith(done)) {
            throw new IllegalArgumentException("the chat template does not render conversations incrementally (a later turn changes earlier text)");
        }
        pieces.add(tok.encode(rendered.substring(done.length()), false, true));
        trained.add(train);
        return rendered;
    }

    /**
     * Cuts {@code ids} into examples of at most {@code seq} positions; {@code trained[i]} says whether token {@code i}
     * is a loss target ({@code null}: all are).
     */
    private static void split(int[] ids, boolean[] trained, int seq, List<Example> out) {
        for (int start = 0; start + 1 < ids.length; start += seq) {
            int end = Math.min(ids.length, start + seq + 1);
            boolean[] mask = new boolean[end - start - 1];
            boolean any = false;
            for (int t = 0; t < mask.length; t++) {
                mask[t] = trained == null || trained[start + t + 1];
                any |= mask[t];
            }
            if (any) out.add(new Example(Arrays.copyOfRange(ids, start, end), mask));
        }
    }

    private static Example all(int[] ids) {
        boolean[] mask = new boolean[ids.length - 1];
        Arrays.fill(mask, true);
        return new Example(ids, mask);
    }

    private static int[] withEos(Tokenizer tok, int[] ids) {
        return tok.eos() >= 0 && (ids.length == 0 || ids[ids.length - 1] != tok.eos()) ? concat(ids, new int[] {tok.eos()}) : ids;
    }

    private static int[] prepend(int first, int[] rest) {
        return concat(new int[] {first}, rest);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}

package dev.vera4j.tools.hub;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Picks the {@code .gguf} file(s) a {@link HubRef} means among a repository's files: the named file, or the one whose
 * name holds the quantization tag as a word ({@code Q4_K_M} matches {@code Model-Q4_K_M.gguf} and
 * {@code Q4_K_M/model.Q4_K_M-00001-of-00002.gguf}, not {@code Model-IQ4_K_M.gguf}). A model split into parts
 * ({@code -00001-of-00003.gguf}) is one choice: every part, first part first. Without a tag, a repository with one model
 * gives it; otherwise {@link #DEFAULT_QUANTS} are tried in order. Projector files ({@code mmproj}) are never picked.
 *
 * <pre>{@code
 * List<HubFile> parts = QuantPicker.pick(client.files(ref.repo()), ref);   // parts.getFirst() is the file to load
 * }</pre>
 */
public final class QuantPicker {
    /** Tags tried, in order, when none is given and the repository holds several models. */
    public static final List<String> DEFAULT_QUANTS = List.of("Q4_K_M", "Q4_0", "Q8_0");
    private static final Pattern SPLIT = Pattern.compile("-(\\d{5})-of-(\\d{5})\\.gguf$", Pattern.CASE_INSENSITIVE);

    private QuantPicker() {}

    /** @throws HubException when nothing, or more than one model, matches (the message lists the choices) */
    public static List<HubFile> pick(List<HubFile> files, HubRef ref) {
        List<HubFile> ggufs = files.stream().filter(f -> f.path().toLowerCase(Locale.ROOT).endsWith(".gguf"))
                .filter(f -> !f.name().toLowerCase(Locale.ROOT).contains("mmproj")).toList();
        if (ggufs.isEmpty()) throw new HubException(ref.repo() + " has no .gguf files");
        Map<String, List<HubFile>> models = group(ggufs);
        if (ref.file() != null) {
            for (List<HubFile> model : models.values()) {
                if (model.stream().anyMatch(f -> f.path().equals(ref.file()))) return complete(model, ref);
            }
            throw new HubException(ref.repo() + " has no file " + ref.file() + "; its models: " + names(models));
        }
        if (ref.quant() != null) return only(matching(models, ref.quant()), ref, ref.quant(), models);
        if (models.size() == 1) return complete(models.values().iterator().next(), ref);
        for (String q : DEFAULT_QUANTS) {
            Map<String, List<HubFile>> m = matching(models, q);
            if (!m.isEmpty()) return only(m, ref, q, models);
        }
        throw new HubException(ref.repo() + " holds several models; name one with :QUANT or /FILE.gguf: " + names(models));
    }

    /** Whether {@code path} holds {@code quant} as a word (between {@code - . _ /} or the ends), ignoring case. */
    public static boolean hasQuant(String path, String quant) {
        String p = path.toLowerCase(Locale.ROOT), q = quant.toLowerCase(Locale.ROOT);
        for (int i = p.indexOf(q); i >= 0; i = p.indexOf(q, i + 1)) {
            boolean before = i == 0 || "-./".indexOf(p.charAt(i - 1)) >= 0;
            int end = i + q.length();
            boolean after = end == p.length() || "-./".indexOf(p.charAt(end)) >= 0;
            if (before && after) return true;
        }
        return false;
    }

    /** The first part of a split model's name, or the name itself. */
    public static boolean isFirstPart(String path) {
        Matcher m = SPLIT.matcher(path);
        return !m.find() || Integer.parseInt(m.group(1)) == 1;
    }

    private static Map<String, List<HubFile>> matching(Map<String, List<HubFile>> models, String quant) {
        Map<String, List<HubFile>> out = new LinkedHashMap<>();
        models.forEach((k, v) -> { if (hasQuant(k, quant)) out.put(k, v); });
        return out;
    }

    private static List<HubFile> only(Map<String, List<HubFile>> m, HubRef ref, String quant, Map<String, List<HubFile>> all) {
        if (m.isEmpty()) throw new HubException("no .gguf file in " + ref.repo() + " matches " + quant + "; its models: " + names(all));
        if (m.size() > 1) throw new HubException(ref.repo() + ":" + quant + " matches several models; name one with " + ref.repo() + "/FILE.gguf: " + names(m));
        return complete(m.values().iterator().next(), ref);
    }

    /** Models by name with the split suffix removed; each list sorted by part number. */
    private static Map<String, List<HubFile>> group(List<HubFile> ggufs) {
        Map<String, List<HubFile>> models = new LinkedHashMap<>();
        for (HubFile f : ggufs) {
            Matcher m = SPLIT.matcher(f.path());
            String key = m.find() ? f.path().substring(0, m.start()) + ".gguf" : f.path();
            models.computeIfAbsent(key, k -> new ArrayList<>()).add(f);
        }
        models.values().forEach(l -> l.sort(Comparator.comparing(HubFile::path)));
        return models;
    }

    private static List<HubFile> complete(List<HubFile> model, HubRef ref) {
        Matcher m = SPLIT.matcher(model.getFirst().path());
        int expected = m.find() ? Integer.parseInt(m.group(2)) : 1;
        if (model.size() != expected || !isFirstPart(model.getFirst().path())) {
            throw new HubException(ref.repo() + ": " + model.getFirst().path() + " is one of " + expected + " parts but the repository has "
                    + model.size());
        }
        return List.copyOf(model);
    }

    private static String names(Map<String, List<HubFile>> models) {
        List<String> names = new ArrayList<>();
        models.forEach((k, v) -> names.add(v.size() == 1 ? v.getFirst().path() : k + " (" + v.size() + " parts)"));
        return String.join(", ", names.size() > 12 ? names.subList(0, 12) : names) + (names.size() > 12 ? ", ..." : "");
    }
}

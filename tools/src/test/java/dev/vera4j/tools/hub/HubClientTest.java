package dev.vera4j.tools.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** {@link HubClient} and {@link HubModels} against {@link FakeHub}: listing, redirects, ranges, checksums, tokens, resume. */
class HubClientTest {
    @TempDir Path dir;
    private FakeHub fake;
    private final byte[] q4 = bytes(200_000, 1), q8 = bytes(350_000, 2), part1 = bytes(120_000, 3), part2 = bytes(90_000, 4);

    @BeforeEach
    void start() throws Exception {
        fake = new FakeHub();
        fake.put("owner/model-GGUF", "README.md", "# a model\n".getBytes(StandardCharsets.UTF_8));
        fake.put("owner/model-GGUF", "model-Q4_0.gguf", q4);
        fake.put("owner/model-GGUF", "model-Q8_0.gguf", q8);
        fake.put("owner/model-GGUF", "mmproj-model-Q8_0.gguf", bytes(1000, 5));
        fake.put("owner/split-GGUF", "Q4_K_M/split-Q4_K_M-00002-of-00002.gguf", part2);
        fake.put("owner/split-GGUF", "Q4_K_M/split-Q4_K_M-00001-of-00002.gguf", part1);
    }

    @AfterEach
    void stop() { fake.close(); }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private HubModels models(String token) {
        return new HubModels(new HubClient(new HubSettings(fake.endpoint(), token, false)), new ModelCache(dir.resolve("models")),
                DownloadBar.none(), null);
    }

    @Test
    void listsEveryPageAndReportsLfsSha256() {
        List<HubFile> files = new HubClient(new HubSettings(fake.endpoint(), null, false)).files("owner/model-GGUF");
        assertEquals(List.of("README.md", "model-Q4_0.gguf", "model-Q8_0.gguf", "mmproj-model-Q8_0.gguf"), files.stream().map(HubFile::path).toList());
        assertEquals(FakeHub.sha256(q8), files.get(2).sha256());
        assertNull(files.get(0).sha256());
        assertEquals(q8.length, files.get(2).size());
        assertEquals(2, fake.requests.stream().filter(r -> r.path().contains("/tree/main")).count(), "two pages of two");
    }

    @Test
    void pullsTheQuantThroughTwoRedirectsAndSendsTheTokenOnlyToTheHub() throws Exception {
        Path file = models("secret").pull(HubRef.parse("hf:owner/model-GGUF:q8_0"));
        assertEquals(dir.resolve("models/owner/model-GGUF/model-Q8_0.gguf"), file);
        assertArrayEquals(q8, Files.readAllBytes(file));
        assertFalse(Files.exists(file.resolveSibling("model-Q8_0.gguf.part")));
        List<FakeHub.Request> cdn = fake.requests.stream().filter(r -> r.server().equals("cdn")).toList();
        assertEquals(1, cdn.size());
        assertNull(cdn.getFirst().authorization(), "the token must not leave the hub's origin");
        assertTrue(fake.requests.stream().filter(r -> r.server().equals("hub")).allMatch(r -> "Bearer secret".equals(r.authorization())));
        assertTrue(fake.requests.stream().anyMatch(r -> r.path().startsWith("/api/resolve-cache/")), "followed the relative redirect");
    }

    @Test
    void pullsEveryPartOfASplitModelAndReturnsTheFirst() throws Exception {
        Path file = models(null).pull(HubRef.parse("owner/split-GGUF:Q4_K_M"));
        assertEquals("split-Q4_K_M-00001-of-00002.gguf", file.getFileName().toString());
        assertArrayEquals(part1, Files.readAllBytes(file));
        assertArrayEquals(part2, Files.readAllBytes(file.resolveSibling("split-Q4_K_M-00002-of-00002.gguf")));
        // the cache now answers without the network
        int before = fake.requests.size();
        assertEquals(file, models(null).resolve(HubRef.parse("hf:owner/split-GGUF")));
        assertEquals(before, fake.requests.size());
    }

    @Test
    void aWrongChecksumDeletesTheDownload() {
        fake.listWrongSha("model-Q4_0.gguf");
        HubException e = assertThrows(HubException.class, () -> models(null).pull(HubRef.parse("owner/model-GGUF:Q4_0")));
        assertTrue(e.getMessage().startsWith("checksum mismatch for model-Q4_0.gguf: the hub says sha256 0000"), e.getMessage());
        assertTrue(e.getMessage().contains(FakeHub.sha256(q4)), e.getMessage());
        Path folder = dir.resolve("models/owner/model-GGUF");
        assertFalse(Files.exists(folder.resolve("model-Q4_0.gguf")), "never kept as complete");
        assertFalse(Files.exists(folder.resolve("model-Q4_0.gguf.part")));
        assertTrue(new ModelCache(dir.resolve("models")).list().isEmpty());
    }

    @Test
    void a401SaysToSetHfTokenOrThatItWasRejected() {
        fake.requiredToken = "right";
        HubException none = assertThrows(HubException.class, () -> models(null).pull(HubRef.parse("owner/model-GGUF:Q4_0")));
        assertTrue(none.getMessage().contains("needs a Hugging Face token (HTTP 401): set HF_TOKEN"), none.getMessage());
        HubException wrong = assertThrows(HubException.class, () -> models("wrong").pull(HubRef.parse("owner/model-GGUF:Q4_0")));
        assertTrue(wrong.getMessage().startsWith("the hub rejected HF_TOKEN for owner/model-GGUF (HTTP 401)"), wrong.getMessage());
        HubException missing = assertThrows(HubException.class, () -> models(null).pull(HubRef.parse("owner/nothing")));
        assertEquals("repository owner/nothing not found on " + fake.endpoint() + " (a private one needs HF_TOKEN)", missing.getMessage());
        assertArrayEquals(q4, read(models("right").pull(HubRef.parse("owner/model-GGUF:Q4_0"))));
    }

    @Test
    void aDroppedConnectionResumesWithARangeAndTheChecksumHolds() {
        fake.dropAfter.put("model-Q8_0.gguf", 100_000L);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        HubModels m = new HubModels(new HubClient(new HubSettings(fake.endpoint(), null, false)), new ModelCache(dir.resolve("models")),
                DownloadBar.on(new PrintStream(log, true, StandardCharsets.UTF_8), false), null);
        Path file = m.pull(HubRef.parse("owner/model-GGUF/model-Q8_0.gguf"));
        assertArrayEquals(q8, read(file));
        List<FakeHub.Request> cdn = fake.requests.stream().filter(r -> r.server().equals("cdn")).toList();
        assertEquals(2, cdn.size(), cdn.toString());
        assertNull(cdn.get(0).range());
        long resumedAt = Long.parseLong(cdn.get(1).range().replace("bytes=", "").replace("-", ""));
        assertTrue(resumedAt > 0 && resumedAt <= 100_000, cdn.get(1).range());
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("connection lost"), text);
        assertTrue(text.contains("downloaded model-Q8_0.gguf"), text);
    }

    @Test
    void aStalledConnectionIsAbandonedAndResumed() {
        fake.stallAfter.put("model-Q4_0.gguf", 70_000L);
        HubModels m = new HubModels(new HubClient(new HubSettings(fake.endpoint(), null, false), java.time.Duration.ofSeconds(2)),
                new ModelCache(dir.resolve("models")), DownloadBar.none(), null);
        assertArrayEquals(q4, read(m.pull(HubRef.parse("owner/model-GGUF:Q4_0"))));
        List<FakeHub.Request> cdn = fake.requests.stream().filter(r -> r.server().equals("cdn")).toList();
        assertEquals("bytes=70000-", cdn.getLast().range(), cdn.toString());
    }

    @Test
    void aLaterRunResumesFromThePartFile() throws Exception {
        Path part = dir.resolve("models/owner/model-GGUF/model-Q4_0.gguf.part");
        Files.createDirectories(part.getParent());
        Files.write(part, Arrays.copyOf(q4, 123_456));
        Path file = models(null).pull(HubRef.parse("owner/model-GGUF:Q4_0"));
        assertArrayEquals(q4, read(file));
        assertEquals("bytes=123456-", fake.requests.stream().filter(r -> r.server().equals("cdn")).findFirst().orElseThrow().range());
        assertFalse(Files.exists(part));
    }

    @Test
    void aCorruptPartFileFailsTheChecksumAndIsDeleted() throws Exception {
        Path part = dir.resolve("models/owner/model-GGUF/model-Q4_0.gguf.part");
        Files.createDirectories(part.getParent());
        byte[] bad = Arrays.copyOf(q4, 50_000);
        bad[10] ^= 1;
        Files.write(part, bad);
        HubException e = assertThrows(HubException.class, () -> models(null).pull(HubRef.parse("owner/model-GGUF:Q4_0")));
        assertTrue(e.getMessage().startsWith("checksum mismatch"), e.getMessage());
        assertFalse(Files.exists(part));
        assertArrayEquals(q4, read(models(null).pull(HubRef.parse("owner/model-GGUF:Q4_0"))), "the next run starts over");
    }

    @Test
    void unknownFilesAndQuantsListTheChoicesAndNoTagTakesADefault() {
        HubException q = assertThrows(HubException.class, () -> models(null).pull(HubRef.parse("owner/model-GGUF:Q5_K_M")));
        assertEquals("no .gguf file in owner/model-GGUF matches Q5_K_M; its models: model-Q4_0.gguf, model-Q8_0.gguf", q.getMessage());
        assertArrayEquals(q4, read(models(null).pull(HubRef.parse("owner/model-GGUF"))), "no tag: the first default quant present, Q4_0");
        HubException file = assertThrows(HubException.class, () -> models(null).pull(HubRef.parse("owner/model-GGUF/model-Q2_K.gguf")));
        assertEquals("owner/model-GGUF has no file model-Q2_K.gguf; its models: model-Q4_0.gguf, model-Q8_0.gguf", file.getMessage());
    }

    @Test
    void readsSettingsAsHuggingfaceHubDoes() throws Exception {
        Path home = dir.resolve("hf");
        Files.createDirectories(home);
        Files.writeString(home.resolve("token"), "hf_fromfile\n");
        HubSettings s = HubSettings.from(Map.of("HF_HOME", home.toString(), "HF_ENDPOINT", "http://mirror.example/"));
        assertEquals(new HubSettings("http://mirror.example", "hf_fromfile", false), s);
        assertEquals("hf_env", HubSettings.from(Map.of("HF_HOME", home.toString(), "HF_TOKEN", "hf_env")).token());
        assertEquals(HubSettings.DEFAULT_ENDPOINT, HubSettings.from(Map.of("HF_HOME", home.resolve("none").toString())).endpoint());
        HubSettings offline = HubSettings.from(Map.of("HF_HUB_OFFLINE", "1", "HF_ENDPOINT", fake.endpoint()));
        HubException e = assertThrows(HubException.class, () -> new HubClient(offline).files("owner/model-GGUF"));
        assertTrue(e.getMessage().startsWith("HF_HUB_OFFLINE is set"), e.getMessage());
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

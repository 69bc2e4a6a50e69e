package dev.vera4j.tests;

import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufValue;
import dev.vera4j.gguf.GgufWriter;
import dev.vera4j.tools.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vera4j template}: model templates, named fallbacks, bos/eos from the vocabulary, error paths. */
class TemplateCommandTest {
    private static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));
    private static final Path STORIES = SHARED.resolve("models/stories260K.gguf");
    private static final String CONVERSATION = """
            [{"role": "system", "content": "You are terse."},
             {"role": "user", "content": "Hi there"},
             {"role": "assistant", "content": " Hello! "},
             {"role": "user", "content": "Bye"}]
            """;

    @TempDir Path tmp;

    private record Result(int code, String out, String err) { }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(tmp.resolve(name), text, StandardCharsets.UTF_8);
    }

    @Test
    void modelWithoutTemplateNeedsAFallback() throws IOException {
        Result r = run("template", "-m", STORIES.toString(), "--messages", write("m.json", CONVERSATION).toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("has no tokenizer.chat_template"), r.err());
        assertTrue(r.err().contains("--chat-template") && r.err().contains("chatml"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void chatmlFallback() throws IOException {
        Path m = write("m.json", CONVERSATION);
        Result r = run("template", "-m", STORIES.toString(), "--messages", m.toString(), "--chat-template", "chatml");
        assertEquals(0, r.code(), r.err());
        assertEquals("<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n"
                + "<|im_start|>assistant\n Hello! <|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n", r.out());
        Result noGen = run("template", "-m", STORIES.toString(), "--messages", m.toString(), "--chat-template", "chatml", "--no-generation-prompt");
        assertEquals(0, noGen.code(), noGen.err());
        assertEquals(r.out().substring(0, r.out().length() - "<|im_start|>assistant\n".length()), noGen.out());
    }

    @Test
    void llama2FallbackTakesBosAndEosFromTheVocabulary() throws IOException {
        // stories260K: bos id 1 = "<s>", eos id 2 = "</s>"
        Result r = run("template", "-m", STORIES.toString(), "--messages", write("m.json", CONVERSATION).toString(), "--chat-template", "llama-2");
        assertEquals(0, r.code(), r.err());
        assertEquals("<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi there [/INST] Hello! </s><s>[INST] Bye [/INST]", r.out());
    }

    @Test
    void templateFileAndExtraVariables() throws IOException {
        Path tpl = write("t.jinja", "{{ bos_token }}{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}"
                + "{{ tools | map(attribute='name') | join(',') }}{% if add_generation_prompt %}>{% endif %}\n");
        Path m = write("m.json", "{\"messages\": [{\"role\": \"user\", \"content\": \"é😀\"}], \"tools\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}");
        Result r = run("template", "-m", STORIES.toString(), "--messages", m.toString(), "--chat-template", tpl.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("<s>[user:é😀]a,b>", r.out());
    }

    @Test
    void templateFromModelMetadata() throws IOException {
        String gemma = Files.readString(SHARED.resolve("testdata/chat-templates/google-gemma-2-2b-it.jinja"));
        Path model = tmp.resolve("tiny-chat.gguf");
        writeVocabOnlyGguf(model, List.of("<pad>", "<bos>", "<eos>", "hello"), 1, 2, gemma);
        Path m = write("m.json", """
                [{"role": "user", "content": " Hi there "}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Bye"}]
                """);
        Result r = run("template", "-m", model.toString(), "--messages", m.toString());
        assertEquals(0, r.code(), r.err());
        // rendered by Python jinja2 in Hugging Face's environment with bos_token="<bos>"
        assertEquals("<bos><start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
                + "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n", r.out());

        // the template's own raise_exception becomes a one-line error
        Result sys = run("template", "-m", model.toString(), "--messages", write("s.json", CONVERSATION).toString());
        assertEquals(1, sys.code());
        assertTrue(sys.err().contains("System role not supported"), sys.err());

        // --chat-template overrides the model's template
        Result over = run("template", "-m", model.toString(), "--messages", m.toString(), "--chat-template", "llama-3", "--no-generation-prompt");
        assertEquals(0, over.code(), over.err());
        assertEquals("<bos><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
                + "Hello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>", over.out());
    }

    @Test
    void stories260KWithAnAddedTemplate() throws IOException {
        // the real model re-written by GgufWriter with Llama 3.1's template added to its metadata
        String llama31 = Files.readString(SHARED.resolve("testdata/chat-templates/meta-llama-Llama-3.1-8B-Instruct.jinja"));
        Path model = tmp.resolve("stories-chat.gguf");
        try (GgufFile f = GgufFile.open(STORIES)) {
            GgufWriter.copyOf(f).put("tokenizer.chat_template", GgufValue.ofString(llama31)).write(model);
        }
        Path m = write("m.json", """
                {"messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi there"}],
                 "date_string": "01 Jan 2025"}
                """);
        Result r = run("template", "-m", model.toString(), "--messages", m.toString());
        assertEquals(0, r.code(), r.err());
        // rendered by Python jinja2 in Hugging Face's environment with bos_token="<s>" (stories260K's token 1)
        assertEquals("<s><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
                + "Today Date: 01 Jan 2025\n\nYou are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", r.out());
    }

    @Test
    void badInputsGiveOneLineErrors() throws IOException {
        Path good = write("m.json", CONVERSATION);
        Result badJson = run("template", "-m", STORIES.toString(), "--messages", write("bad.json", "[{\"role\": \"user\",\n \"content\" 1}]").toString(),
                "--chat-template", "chatml");
        assertEquals(1, badJson.code());
        assertTrue(badJson.err().contains("line 2, column 12"), badJson.err());

        Result noRole = run("template", "-m", STORIES.toString(), "--messages", write("r.json", "[{\"content\": \"x\"}]").toString(), "--chat-template", "chatml");
        assertEquals(1, noRole.code());
        assertTrue(noRole.err().contains("message 0 must be an object with a string \"role\""), noRole.err());

        Result unknownName = run("template", "-m", STORIES.toString(), "--messages", good.toString(), "--chat-template", "vicuna");
        assertEquals(2, unknownName.code());
        assertTrue(unknownName.err().contains("neither a built-in template"), unknownName.err());

        Result badTemplate = run("template", "-m", STORIES.toString(), "--messages", good.toString(),
                "--chat-template", write("bad.jinja", "ok\n{% for x in messages %}").toString());
        assertEquals(1, badTemplate.code());
        assertTrue(badTemplate.err().contains("template line 2"), badTemplate.err());

        assertEquals(2, run("template", "-m", STORIES.toString()).code());
        assertEquals(2, run("template", "--messages", good.toString()).code());
        assertEquals(2, run("template", "-m", STORIES.toString(), "--messages", good.toString(), "--bogus").code());
        Result help = run("template", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--chat-template"), help.out());
    }

    /** A GGUF v3 file with tokenizer metadata and no tensors, written byte by byte (independent of the reader). */
    static void writeVocabOnlyGguf(Path path, List<String> tokens, int bos, int eos, String chatTemplate) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        b.put("GGUF".getBytes(StandardCharsets.US_ASCII)).putInt(3).putLong(0).putLong(5);
        key(b, "general.architecture").putInt(8);
        str(b, "llama");
        key(b, "tokenizer.ggml.tokens").putInt(9).putInt(8).putLong(tokens.size());
        for (String t : tokens) str(b, t);
        key(b, "tokenizer.ggml.bos_token_id").putInt(4).putInt(bos);
        key(b, "tokenizer.ggml.eos_token_id").putInt(4).putInt(eos);
        key(b, "tokenizer.chat_template").putInt(8);
        str(b, chatTemplate);
        while (b.position() % 32 != 0) b.put((byte) 0);
        Files.write(path, java.util.Arrays.copyOf(b.array(), b.position()));
    }

    private static ByteBuffer key(ByteBuffer b, String k) { return str(b, k); }

    private static ByteBuffer str(ByteBuffer b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        return b.putLong(bytes.length).put(bytes);
    }
}

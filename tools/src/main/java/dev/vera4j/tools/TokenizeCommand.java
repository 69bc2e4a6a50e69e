package dev.vera4j.tools;

import dev.vera4j.engine.tokenizer.Tokenizer;
import dev.vera4j.engine.tokenizer.Tokenizers;
import dev.vera4j.gguf.GgufFile;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.StringJoiner;

/**
 * {@code vera4j tokenize -m MODEL --text "..."|--file F [--no-bos] [--parse-special] [--ids]}: the tokens of a text,
 * printed like llama.cpp's {@code llama-tokenize}: one {@code "    id -> 'piece'"} line per token, or with
 * {@code --ids} just {@code [1, 2, 3]}.
 */
final class TokenizeCommand implements Command {
    @Override public String name() { return "tokenize"; }

    @Override public String summary() { return "show the tokens of a text for a model's vocabulary"; }

    @Override public String usage() { return "-m MODEL.gguf (--text TEXT | --file FILE) [--no-bos] [--parse-special] [--ids]"; }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec()
                .value("model", "-m", "--model")
                .value("text", "-p", "--prompt", "--text")
                .value("file", "-f", "--file")
                .flag("noBos", "--no-bos")
                .flag("parseSpecial", "--parse-special")
                .flag("ids", "--ids")
                .flag("help", "-h", "--help")
                .parse(argv);
        if (a.has("help")) {
            out.println("usage: vera4j tokenize " + usage());
            out.println("  -m, --model FILE     GGUF file whose vocabulary to use (the weights are not read)");
            out.println("  --text TEXT          text to tokenize (-p, --prompt also work)");
            out.println("  -f, --file FILE      read the text from a UTF-8 file instead");
            out.println("  --no-bos             add no BOS/EOS even where the model asks for them");
            out.println("  --parse-special      turn control tokens written in the text (<|eot_id|>, <s>) into their ids");
            out.println("  --ids                print only the ids, as [1, 2, 3]");
            return 0;
        }
        if (!a.positional().isEmpty()) throw new UsageException("unexpected argument '" + a.positional().getFirst() + "'");
        Path model = ModelArg.require(a, "-m MODEL.gguf", err);
        if (a.has("text") == a.has("file")) throw new UsageException("give exactly one of --text and --file");
        String text = a.has("text") ? a.get("text") : readText(Path.of(a.get("file")));
        if (!Files.isRegularFile(model)) throw new RuntimeException("model file not found: " + model);

        Tokenizer tokenizer;
        try (GgufFile f = GgufFile.open(model)) {
            tokenizer = Tokenizers.fromMetadata(f.metadata());
        }
        int[] ids = tokenizer.encode(text, !a.has("noBos"), a.has("parseSpecial"));
        if (a.has("ids")) {
            StringJoiner j = new StringJoiner(", ", "[", "]");
            for (int id : ids) j.add(Integer.toString(id));
            out.println(j);
        } else {
            for (int id : ids) {
                // raw bytes, as llama-tokenize prints them: a byte token may be part of a UTF-8 character
                out.print(String.format("%6d -> '", id));
                out.write(tokenizer.pieceBytes(id), 0, tokenizer.pieceBytes(id).length);
                out.println("'");
            }
        }
        out.flush();
        return 0;
    }

    private static String readText(Path file) {
        if (!Files.isRegularFile(file)) throw new RuntimeException("text file not found: " + file);
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}

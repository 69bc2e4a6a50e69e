import dev.vera4j.engine.Vera4j;
import dev.vera4j.engine.api.Chat;
import dev.vera4j.engine.api.GenerateOptions;
import dev.vera4j.engine.api.Reply;

import java.nio.file.Path;

/**
 * The smallest embedding of vera4j: load a model, generate once, then hold a two-turn chat.
 *
 * <pre>
 * javac -cp gguf/target/classes:simd/target/classes:engine/target/classes --add-modules jdk.incubator.vector -d /tmp/ex examples/Embed.java
 * java -cp /tmp/ex:gguf/target/classes:simd/target/classes:engine/target/classes --add-modules jdk.incubator.vector \
 *      Embed ../shared/models/stories260K.gguf
 * </pre>
 */
public class Embed {
    public static void main(String[] args) {
        Path modelFile = Path.of(args.length > 0 ? args[0] : "stories260K.gguf");
        try (Vera4j model = Vera4j.load(modelFile, 1)) {
            GenerateOptions options = GenerateOptions.builder().maxTokens(24).temperature(0.8f).seed(42).build();
            Reply once = model.generate("Once upon a time", options);
            System.out.println("generate: Once upon a time" + once.text());

            Chat chat = model.chat().temperature(0).maxTokens(16).build();
            System.out.print("chat: ");
            chat.send("The little dog", System.out::print);
            System.out.println();
            Reply second = chat.send("Then the cat");
            System.out.println("chat: " + second.text() + " [" + second.stopReason() + "]");
        }
    }
}

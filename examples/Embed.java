import dev.vera4j.engine.Vera4j;
import dev.vera4j.engine.api.Chat;
import dev.vera4j.engine.api.GenerateOptions;
import dev.vera4j.engine.api.Reply;

import java.nio.file.Path;

/**
 * The smallest embedding of vera4j: load a model, generate once, then hold a two-turn chat.
 *
 * <p>From the clone, after {@code mvn -B -DskipTests package} (the JVM needs both flags: the Vector API module, and
 * native access for the prefill's one call to C):
 * <pre>
 * CP=gguf/target/classes:simd/target/classes:engine/target/classes
 * javac --add-modules jdk.incubator.vector -cp $CP -d /tmp/ex examples/Embed.java
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp /tmp/ex:$CP Embed ../shared/models/stories260K.gguf
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

package dev.vera4j.tools;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * Example command lines that {@code vera4j COMMAND --help} ends with, for commands whose help does not show its own.
 *
 * <pre>{@code
 * HelpExamples.print("inspect", out);
 * }</pre>
 */
final class HelpExamples {
    private HelpExamples() {}

    private static final Map<String, List<String>> EXAMPLES = Map.of(
            "inspect", List.of("vera4j inspect stories260K.gguf", "vera4j inspect model.gguf --json",
                    "vera4j inspect model.gguf --key tokenizer.chat_template"),
            "tokenize", List.of("vera4j tokenize -m stories260K.gguf --text \"Once upon a time\" --ids",
                    "vera4j tokenize -m model.gguf --file prompt.txt --parse-special"),
            "devices", List.of("vera4j devices", "vera4j devices --json"),
            "bench", List.of("vera4j bench -m model.gguf -p 128 -n 64 -t 8", "vera4j bench -m model.gguf --kv-type f32 --json"),
            "make-model", List.of("vera4j make-model --shape tiny -o tiny.gguf", "vera4j make-model --shape llama3-1b --type Q8_0 -o llama3-shape.gguf"),
            "template", List.of("vera4j template -m model.gguf --messages chat.json",
                    "vera4j template -m stories260K.gguf --messages chat.json --chat-template chatml"),
            "adapter", List.of("vera4j adapter import ./peft-vera -m base.gguf -o style.gguf",
                    "vera4j adapter export style.gguf -o ./peft-vera", "vera4j adapter info style.gguf -m base.gguf"),
            "merge", List.of("vera4j merge -m base.gguf --adapter style.gguf:0.8 -o merged.gguf",
                    "vera4j merge -m base.gguf --adapter ./peft-vera -o merged-q8.gguf --type Q8_0"),
            "train", List.of("vera4j train -m stories260K.gguf --data stories.txt --valid valid.txt -o style.vera.gguf --rank 64 --targets q,k,v,o,gate,up,down --batch 8 --steps 200",
                    "vera4j train -m base.gguf --data chats.jsonl -o assistant.vera.gguf --epochs 2 --schedule cosine --warmup 20 --log run.csv",
                    "vera4j train -m base.gguf --data chats.jsonl -o assistant.vera.gguf --epochs 2 --resume"));

    /** Prints the examples of {@code command}, if it has any here. */
    static void print(String command, PrintStream out) {
        List<String> list = EXAMPLES.get(command);
        if (list == null) return;
        out.println();
        out.println("examples:");
        for (String e : list) out.println("  " + e);
    }
}

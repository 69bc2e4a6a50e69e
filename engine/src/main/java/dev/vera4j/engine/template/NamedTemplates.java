package dev.vera4j.engine.template;

import java.util.List;

/** Jinja sources of the built-in fallback templates, for models whose GGUF has no {@code tokenizer.chat_template}. */
final class NamedTemplates {
    static final List<String> NAMES = List.of("chatml", "llama-2", "llama-3");

    private NamedTemplates() {}

    static String source(String name) {
        return switch (name == null ? "" : name) {
            case "chatml" -> """
                    {%- for message in messages -%}
                        {{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' -}}
                    {%- endfor -%}
                    {%- if add_generation_prompt -%}
                        {{- '<|im_start|>assistant\\n' -}}
                    {%- endif -%}
                    """;
            // Meta's Llama 2 chat format: the system prompt is folded into the first user turn.
            case "llama-2" -> """
                    {%- if messages and messages[0]['role'] == 'system' -%}
                        {%- set system_message = '<<SYS>>\\n' + messages[0]['content'] + '\\n<</SYS>>\\n\\n' -%}
                        {%- set loop_messages = messages[1:] -%}
                    {%- else -%}
                        {%- set system_message = '' -%}
                        {%- set loop_messages = messages -%}
                    {%- endif -%}
                    {%- for message in loop_messages -%}
                        {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
                            {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') -}}
                        {%- endif -%}
                        {%- if message['role'] == 'user' -%}
                            {{- bos_token + '[INST] ' + (system_message if loop.first else '') + message['content'] | trim + ' [/INST]' -}}
                        {%- elif message['role'] == 'assistant' -%}
                            {{- ' ' + message['content'] | trim + ' ' + eos_token -}}
                        {%- endif -%}
                    {%- endfor -%}
                    """;
            case "llama-3" -> """
                    {{- bos_token -}}
                    {%- for message in messages -%}
                        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' -}}
                    {%- endfor -%}
                    {%- if add_generation_prompt -%}
                        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
                    {%- endif -%}
                    """;
            default -> throw new IllegalArgumentException("unknown chat template name '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        };
    }
}

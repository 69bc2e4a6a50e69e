package dev.vera4j.engine.template;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** API behaviour and error reporting of {@link ChatTemplate} beyond the jinja2 comparisons. */
class ChatTemplateTest {
    private static final List<ChatMessage> HI = List.of(new ChatMessage("user", "Hi"));

    @Test
    void errorsNameTheTemplateLine() {
        TemplateException unknownTag = assertThrows(TemplateException.class, () -> ChatTemplate.parse("a\nb\n{% include 'x' %}"));
        assertEquals(3, unknownTag.line());
        assertTrue(unknownTag.getMessage().startsWith("template line 3: unknown tag 'include'"), unknownTag.getMessage());

        TemplateException unclosed = assertThrows(TemplateException.class, () -> ChatTemplate.parse("{% for m in messages %}\nx"));
        assertTrue(unclosed.getMessage().contains("'endfor'"), unclosed.getMessage());

        TemplateException badExpr = assertThrows(TemplateException.class, () -> ChatTemplate.parse("ok\n\n{{ 1 + }}"));
        assertEquals(3, badExpr.line());

        ChatTemplate t = ChatTemplate.parse("{% for m in messages %}\n{{ m.role }}\n{{ m.content.missing.deeper }}\n{% endfor %}");
        TemplateException undefined = assertThrows(TemplateException.class, () -> t.render(HI, false, Map.of()));
        assertEquals(3, undefined.line());
        assertTrue(undefined.getMessage().contains("has no attribute 'missing'"), undefined.getMessage());

        TemplateException badEscape = assertThrows(TemplateException.class, () -> ChatTemplate.parse("\n{{ '\\xZZ' }}"));
        assertEquals(2, badEscape.line());
        assertThrows(TemplateException.class, () -> ChatTemplate.parse("{{ '\\U99999999' }}"));

        TemplateException stray = assertThrows(TemplateException.class, () -> ChatTemplate.parse("{% endif %}"));
        assertTrue(stray.getMessage().contains("unknown tag 'endif'"), stray.getMessage());
    }

    @Test
    void raiseExceptionKeepsTheTemplateMessage() {
        ChatTemplate t = ChatTemplate.parse("{% if messages[0].role != 'system' %}{{ raise_exception('need a system turn') }}{% endif %}");
        TemplateRaisedException e = assertThrows(TemplateRaisedException.class, () -> t.render(HI, true, null));
        assertEquals("need a system turn", e.templateMessage());
        assertEquals(1, e.line());
    }

    @Test
    void hfDefaultsAndExtraVariables() {
        ChatTemplate t = ChatTemplate.parse("{{ tools is none }}/{{ documents is none }}/{{ add_generation_prompt }}/{{ x | default('-') }}");
        assertEquals("True/True/False/-", t.render(HI, false, Map.of()));
        assertEquals("False/True/True/7", t.render(HI, true, Map.of("tools", List.of(), "x", 7)));
    }

    @Test
    void strftimeNowReadsTheClock() {
        ChatTemplate t = ChatTemplate.parse("{{ strftime_now('%d %b %Y') }}")
                .withClock(Clock.fixed(Instant.parse("2025-02-28T23:59:00Z"), ZoneOffset.UTC));
        assertEquals("28 Feb 2025", t.render(HI, true, Map.of()));
    }

    @Test
    void namedTemplates() {
        assertEquals(List.of("chatml", "llama-2", "llama-3"), ChatTemplate.names());
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", ChatTemplate.named("chatml").render(HI, true, Map.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.named("vicuna"));
        assertTrue(e.getMessage().contains("chatml, llama-2, llama-3"), e.getMessage());
    }

    @Test
    void runawayTemplatesFailCleanly() {
        TemplateException recursion = assertThrows(TemplateException.class,
                () -> ChatTemplate.parse("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}").render(HI, true, Map.of()));
        assertTrue(recursion.getMessage().contains("nested deeper"), recursion.getMessage());
        TemplateException range = assertThrows(TemplateException.class,
                () -> ChatTemplate.parse("{% for i in range(10000000) %}{% endfor %}").render(HI, true, Map.of()));
        assertTrue(range.getMessage().contains("range too big"), range.getMessage());
        TemplateException repeat = assertThrows(TemplateException.class,
                () -> ChatTemplate.parse("{{ 'x' * 100000000 }}").render(HI, true, Map.of()));
        assertTrue(repeat.getMessage().contains("too large"), repeat.getMessage());
        for (String huge : List.of("{{ 'x' | center(2000000000) }}", "{{ '%999999999999d' % 1 }}", "{{ '{:99999999999}'.format(1) }}",
                "{{ 'x'.zfill(5000000) }}", "{{ [1] | tojson(indent=100000000) }}", "{{ 'x' * 9223372036854775807 }}",
                "{{ range(-9223372036854775807, 9223372036854775807) | length }}", "{{ 'a' | indent(99999999) }}", "{{ 3 ** 99 }}")) {
            assertThrows(TemplateException.class, () -> ChatTemplate.parse(huge).render(HI, true, Map.of()), huge);
        }
        TemplateException loops = assertThrows(TemplateException.class, () -> ChatTemplate.parse(
                "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}").render(HI, true, Map.of()));
        assertTrue(loops.getMessage().contains("loop iterations"), loops.getMessage());
        TemplateException output = assertThrows(TemplateException.class, () -> ChatTemplate.parse(
                "{% set s = 'x' * 1000000 %}{% for i in range(20) %}{{ s }}{% endfor %}").render(HI, true, Map.of()));
        assertTrue(output.getMessage().contains("output exceeds"), output.getMessage());
        String deep = "{% if true %}".repeat(300) + "{% endif %}".repeat(300);
        TemplateException blocks = assertThrows(TemplateException.class, () -> ChatTemplate.parse(deep));
        assertTrue(blocks.getMessage().contains("nested deeper than"), blocks.getMessage());
        String parens = "{{ " + "(".repeat(100_000) + "1" + ")".repeat(100_000) + " }}";
        assertThrows(TemplateException.class, () -> ChatTemplate.parse(parens));
        assertThrows(TemplateException.class, () -> ChatTemplate.parse("{{ " + "not ".repeat(100_000) + "x }}"));
        assertThrows(TemplateException.class, () -> ChatTemplate.parse("{{ " + "-".repeat(100_000) + "1 }}"));
        assertEquals("1", ChatTemplate.parse("{% if true %}".repeat(100) + "1" + "{% endif %}".repeat(100)).render(HI, true, Map.of()));
    }

    @Test
    void javaValuesBecomePythonValues() {
        ChatTemplate t = ChatTemplate.parse("{{ a }} {{ b }} {{ c }} {{ d | tojson }} {{ e }}");
        List<Object> list = new ArrayList<>();
        list.add(1);
        list.add(null);
        assertEquals("3 2.5 [1, None] {\"k\": [true]} x",
                t.renderVariables(Map.of("a", 3, "b", 2.5f, "c", list, "d", Map.of("k", new Object[] {true}), "e", 'x')));
    }

    @Test
    void renderingIsRepeatableAndIndependent() {
        ChatTemplate t = ChatTemplate.parse("{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}");
        assertEquals("1", t.render(HI, true, Map.of()));
        assertEquals("1", t.render(HI, true, Map.of()));
    }
}

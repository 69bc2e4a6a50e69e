package dev.vera4j.engine.template;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Small templates covering jinja2 syntax, filters, tests and Python semantics, compared with jinja2's output. */
class Jinja2FeaturesTest {
    @TestFactory
    @SuppressWarnings("unchecked")
    Stream<DynamicTest> featuresMatchJinja2() {
        Map<String, Object> doc = Jinja2Cases.readJson(Jinja2Cases.resources().resolve("features.json"));
        Clock clock = Jinja2Cases.clock(doc);
        return ((List<Object>) doc.get("cases")).stream().map(o -> {
            Map<String, Object> c = (Map<String, Object>) o;
            return DynamicTest.dynamicTest((String) c.get("name"), () -> Jinja2Cases.check(c,
                    () -> ChatTemplate.parse((String) c.get("source")).withClock(clock).renderVariables((Map<String, Object>) c.get("vars"))));
        });
    }
}

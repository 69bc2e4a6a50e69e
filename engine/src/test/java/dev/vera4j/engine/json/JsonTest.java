package dev.vera4j.engine.json;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {
    @Test
    void parsesAllValueKinds() {
        Object v = Json.parse(" {\"a\": [1, -2.5, \"x\", true, false, null], \"b\": {}, \"c\": []} ");
        Map<?, ?> m = assertInstanceOf(LinkedHashMap.class, v);
        assertEquals(List.of("a", "b", "c"), new ArrayList<>(m.keySet()));
        List<?> a = assertInstanceOf(ArrayList.class, m.get("a"));
        assertEquals(1L, a.get(0));
        assertEquals(-2.5, a.get(1));
        assertEquals("x", a.get(2));
        assertEquals(true, a.get(3));
        assertEquals(false, a.get(4));
        assertNull(a.get(5));
        assertEquals(Map.of(), m.get("b"));
        assertEquals(List.of(), m.get("c"));
    }

    @Test
    void numbersAreLongWhenIntegralAndInRange() {
        assertEquals(9223372036854775807L, Json.parse("9223372036854775807"));
        assertEquals(-9223372036854775808L, Json.parse("-9223372036854775808"));
        assertEquals(9.223372036854776E18, Json.parse("9223372036854775808"));
        assertEquals(100.0, Json.parse("1e2"));
        assertEquals(0.0, Json.parse("0.0"));
        assertEquals(0L, Json.parse("-0"));
        assertEquals(1.5e-7, Json.parse("1.5E-7"));
    }

    @Test
    void stringEscapesAndSurrogatePairs() {
        assertEquals("a\"b\\c/d\b\f\n\r\t\u00e9", Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00E9\""));
        assertEquals("\uD83D\uDE00", Json.parse("\"\\ud83d\\ude00\""));
        assertEquals("😀 héllo", Json.parse("\"😀 héllo\""));
        assertEquals("x", Json.parse("\uFEFF\"x\""));
    }

    @Test
    void errorsNameLineAndColumn() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("{\n  \"a\" 1\n}"));
        assertEquals(2, e.line());
        assertEquals(7, e.column());
        assertTrue(e.getMessage().contains("line 2, column 7"), e.getMessage());
        assertTrue(e.getMessage().contains("expected ':'"), e.getMessage());

        assertError("[1, 2", 1, 6, "end of input");
        assertError("[1,]", 1, 4, "expected a value");
        assertError("{\"a\":1,}", 1, 8, "expected a string key");
        assertError("01", 1, 2, "leading zeros");
        assertError("1.", 1, 3, "after '.'");
        assertError("\"abc", 1, 1, "unterminated string");
        assertError("\"a\nb\"", 1, 3, "control character");
        assertError("\"\\x\"", 1, 2, "invalid escape");
        assertError("\"\\ud83d\"", 1, 2, "not followed by a low surrogate");
        assertError("\"\\ude00\"", 1, 2, "lone low surrogate");
        assertError("\"\\u12g4\"", 1, 6, "invalid hex digit");
        assertError("[1] x", 1, 5, "after the JSON value");
        assertError("", 1, 1, "empty input");
        assertError("tru", 1, 1, "expected a value");
        assertError("NaN", 1, 1, "expected a value");
        assertError("1e999", 1, 1, "out of range");
        assertError("\r\n\r\n  ]", 3, 3, "expected a value");
    }

    @Test
    void depthIsLimited() {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertInstanceOf(List.class, Json.parse(ok));
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(deep));
        assertTrue(e.getMessage().contains("nesting deeper than " + Json.MAX_DEPTH), e.getMessage());
    }

    @Test
    void writesCompactAndPretty() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "q\"\\\n\t\u0001é😀");
        m.put("n", List.of(1, 2L, 2.5, 1e-5, 1e16, 3.0f, -0.0));
        m.put("b", true);
        m.put("z", null);
        m.put("e", List.of());
        m.put("o", Map.of());
        assertEquals("{\"s\":\"q\\\"\\\\\\n\\t\\u0001é😀\",\"n\":[1,2,2.5,1e-05,1e+16,3.0,-0.0],\"b\":true,\"z\":null,\"e\":[],\"o\":{}}",
                Json.write(m));
        assertEquals("""
                {
                  "s": "q\\"\\\\\\n\\t\\u0001é😀",
                  "n": [
                    1,
                    2,
                    2.5,
                    1e-05,
                    1e+16,
                    3.0,
                    -0.0
                  ],
                  "b": true,
                  "z": null,
                  "e": [],
                  "o": {}
                }""", Json.writePretty(m));
        assertEquals("[1,2]", Json.write(new int[] {1, 2}));
    }

    @Test
    void roundTrips() {
        String doc = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi \\\"there\\\"\\n😀\"}],\"t\":0.1,\"k\":-40}";
        assertEquals(doc, Json.write(Json.parse(doc)));
        assertEquals(Json.parse(doc), Json.parse(Json.writePretty(Json.parse(doc))));
    }

    @Test
    void doublesFollowPythonRepr() {
        assertEquals("0.1", Json.formatDouble(0.1));
        assertEquals("1.0", Json.formatDouble(1.0));
        assertEquals("0.0001", Json.formatDouble(1e-4));
        assertEquals("123456789012345.0", Json.formatDouble(123456789012345.0));
        assertEquals("1.2345678901234568e+16", Json.formatDouble(12345678901234567.0));
        assertEquals("1e+300", Json.formatDouble(1e300));
        assertEquals("-2.5e-10", Json.formatDouble(-2.5e-10));
        assertEquals("5e-324", Json.formatDouble(Double.MIN_VALUE));
        assertThrows(JsonException.class, () -> Json.write(Double.NaN));
        assertThrows(JsonException.class, () -> Json.write(Double.POSITIVE_INFINITY));
        assertThrows(JsonException.class, () -> Json.write(new Object()));
    }

    @Test
    void mutatedDocumentsFailOnlyWithJsonException() {
        String doc = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi \\u00e9 \\ud83d\\ude00\\n\"}],"
                + " \"n\": [-1.5e-3, 0, 12345678901234567890, true, false, null], \"o\": {\"a\": {}}}";
        String alphabet = "{}[]\",:\\/u0123456789abcdefntrle.+-E \n\t\u0000\ud800";
        java.util.Random rnd = new java.util.Random(7);
        int ok = 0, bad = 0;
        for (int i = 0; i < 5000; i++) {
            StringBuilder sb = new StringBuilder(doc);
            for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
                int at = rnd.nextInt(sb.length());
                switch (rnd.nextInt(3)) {
                    case 0 -> sb.insert(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                    case 1 -> sb.deleteCharAt(at);
                    default -> sb.setCharAt(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                }
            }
            try {
                Object v = Json.parse(sb.toString());
                assertEquals(v, Json.parse(Json.write(v)), "write/parse round trip of " + sb);
                ok++;
            } catch (JsonException e) {
                assertTrue(e.line() >= 1 && e.column() >= 1, e.getMessage());
                bad++;
            }
        }
        assertTrue(ok > 0 && bad > 0, ok + " parsed, " + bad + " rejected");
    }

    @Test
    void loneSurrogatesAreEscapedOnWrite() {
        assertEquals("\"a\\ud800b\"", Json.write("a\ud800b"));
        assertEquals("\"\\udc00\"", Json.write("\udc00"));
    }

    private static void assertError(String text, int line, int col, String fragment) {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(text), text);
        assertTrue(e.getMessage().contains(fragment), text + " -> " + e.getMessage());
        assertEquals(line, e.line(), text + " -> " + e.getMessage());
        assertEquals(col, e.column(), text + " -> " + e.getMessage());
    }
}

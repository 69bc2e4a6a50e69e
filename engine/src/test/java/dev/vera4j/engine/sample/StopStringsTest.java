package dev.vera4j.engine.sample;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class StopStringsTest {
    @Test
    void stopsAtAStopStringSplitOverPiecesAndNeverEmitsIt() {
        StopStrings s = new StopStrings(List.of("User:"));
        StringBuilder out = new StringBuilder();
        for (String piece : new String[] {"Hel", "lo Us", "er: hi"}) {
            out.append(s.accept(piece));
            if (s.stopped()) break;
        }
        out.append(s.flush());
        assertTrue(s.stopped());
        assertEquals("User:", s.matched());
        assertEquals("Hello ", out.toString());
        assertEquals("", s.accept("more"));
    }

    @Test
    void heldBackTextIsReleasedWhenItStopsMatching() {
        StopStrings s = new StopStrings(List.of("ab"));
        assertEquals("x", s.accept("xa"));
        assertEquals("ac", s.accept("c"));
        assertEquals("", s.accept("a"));
        assertEquals("a", s.flush());
        assertFalse(s.stopped());
    }

    @Test
    void earliestOfSeveralStopStringsWins() {
        StopStrings s = new StopStrings(List.of("world", "lo"));
        assertEquals("hel", s.accept("hello world"));
        assertEquals("lo", s.matched());
    }

    @Test
    void emptyStopStringIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new StopStrings(List.of("")));
    }
}

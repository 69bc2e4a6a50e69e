package dev.vera4j.vera;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class VeraConfigTest {

    @Test
    void defaultsArePefts() {
        VeraConfig c = VeraConfig.defaults(5);
        assertEquals(5, c.seed());
        assertEquals(256, c.rank());
        assertEquals(0.1f, c.dInitial());
        assertEquals(EnumSet.of(VeraTarget.Q, VeraTarget.V), c.targets());
        assertTrue(c.layers().isEmpty());
        assertTrue(c.fusedMultiplyAdd());
        assertTrue(c.adapts(100, VeraTarget.V));
        assertFalse(c.adapts(0, VeraTarget.K));
    }

    @Test
    void layersAreSortedAndCopied() {
        List<Integer> layers = new ArrayList<>(List.of(3, 1));
        Set<VeraTarget> targets = EnumSet.of(VeraTarget.DOWN);
        VeraConfig c = new VeraConfig(0, 4, 0.1f, targets, layers, false);
        layers.add(7);
        targets.add(VeraTarget.Q);
        assertEquals(List.of(1, 3), c.layers());
        assertEquals(Set.of(VeraTarget.DOWN), c.targets());
        assertTrue(c.adapts(3, VeraTarget.DOWN));
        assertFalse(c.adapts(2, VeraTarget.DOWN));
        assertThrows(UnsupportedOperationException.class, () -> c.targets().add(VeraTarget.K));
        assertEquals(c, c.withFusedMultiplyAdd(true).withFusedMultiplyAdd(false));
    }

    @Test
    void rejectsNonsense() {
        Set<VeraTarget> q = EnumSet.of(VeraTarget.Q);
        assertThrows(IllegalArgumentException.class, () -> new VeraConfig(0, 0, 0.1f, q, List.of(), true));
        assertThrows(IllegalArgumentException.class, () -> new VeraConfig(0, 4, Float.NaN, q, List.of(), true));
        assertThrows(IllegalArgumentException.class,
                () -> new VeraConfig(0, 4, 0.1f, EnumSet.noneOf(VeraTarget.class), List.of(), true));
        assertThrows(IllegalArgumentException.class, () -> new VeraConfig(0, 4, 0.1f, q, List.of(-1), true));
        assertThrows(IllegalArgumentException.class, () -> new VeraConfig(0, 4, 0.1f, q, List.of(2, 2), true));
    }

    @Test
    void targetsMapToPeftModuleNames() {
        assertEquals(VeraTarget.GATE, VeraTarget.fromPeftName("gate_proj").orElseThrow());
        assertTrue(VeraTarget.fromPeftName("lm_head").isEmpty());
        assertEquals(VeraTarget.UP, VeraTarget.parse("up"));
        assertEquals(VeraTarget.O, VeraTarget.parse("o_proj"));
        assertEquals("model.layers.3.mlp.down_proj", VeraTarget.DOWN.peftModulePath(3));
        assertEquals("model.layers.0.self_attn.k_proj", VeraTarget.K.peftModulePath(0));
        String m = assertThrows(IllegalArgumentException.class, () -> VeraTarget.parse("qkvo")).getMessage();
        assertTrue(m.contains("unknown VeRA target 'qkvo'"), m);
        assertEquals(VeraTarget.QKV, VeraTarget.parse("qkv_proj"));
        assertEquals("model.layers.2.self_attn.qkv_proj", VeraTarget.QKV.peftModulePath(2));
        assertEquals("model.layers.2.mlp.gate_up_proj", VeraTarget.GATE_UP.peftModulePath(2));
        assertEquals("model.layers.1.mlp.experts.5.down_proj", VeraTarget.DOWN_EXP.peftModulePath(1, 5));
        assertEquals("model.layers.1.block_sparse_moe.experts.5.w3", VeraTarget.W3.peftModulePath(1, 5));
        assertEquals("model.layers.1.mlp.shared_expert.up_proj", VeraTarget.UP_SHEXP.peftModulePath(1));
        for (VeraTarget t : VeraTarget.values()) {
            assertEquals(t, VeraTarget.parse(t.shortName()));
            if (t.ordinal() <= VeraTarget.GATE_UP.ordinal()) assertEquals(t, VeraTarget.fromPeftName(t.peftName()).orElseThrow());
            String path = t.peftModulePath(4, t.expert() ? 3 : -1);
            String block = path.substring("model.layers.4.".length(), path.lastIndexOf('.'));
            assertEquals(t, VeraTarget.fromPeftPath(t.expert() ? block.substring(0, block.lastIndexOf('.')) : block, t.peftName()).orElseThrow(), path);
        }
    }

    @Test
    void sitesOrderByLayerThenTarget() {
        List<VeraSite> sites = new ArrayList<>(List.of(new VeraSite(1, VeraTarget.Q), new VeraSite(0, VeraTarget.DOWN),
                new VeraSite(0, VeraTarget.Q)));
        sites.sort(null);
        assertEquals(List.of(new VeraSite(0, VeraTarget.Q), new VeraSite(0, VeraTarget.DOWN),
                new VeraSite(1, VeraTarget.Q)), sites);
        assertThrows(IllegalArgumentException.class, () -> new VeraSite(-1, VeraTarget.Q));
    }
}

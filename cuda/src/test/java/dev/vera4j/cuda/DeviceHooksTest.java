package dev.vera4j.cuda;

import dev.vera4j.engine.backend.DeviceException;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.LowRankUpdate;
import dev.vera4j.simd.FloatRows;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** How a hook's low-rank terms become device adapters, without a GPU: grouping and the matrices' layout. */
class DeviceHooksTest {
    private static final LinearSite Q0 = new LinearSite(0, LinearSite.Kind.Q), V0 = new LinearSite(0, LinearSite.Kind.V);
    /** A shared A of rank 2 over inputs of up to 4, and a Bᵀ of rank 2 over outputs of up to 3. */
    private static final float[] A = {1, 2, 3, 4, 5, 6, 7, 8}, BT = {1, 2, 3, 4, 5, 6};

    private static LowRankUpdate.Term term(LinearSite site, float scale, int rank) {
        return new LowRankUpdate.Term(site, scale, new FloatRows(A, 0, 4, rank, 4), new FloatRows(BT, 0, 3, rank, 3), new float[rank], new float[3]);
    }

    @Test
    void oneAdapterIsOneGroupSharingItsMatrices() {
        List<DeviceHooks.Group> g = DeviceHooks.groups(new LowRankUpdate(List.of(term(Q0, 1f, 2), term(V0, 1f, 2))));
        assertEquals(1, g.size());
        assertEquals(List.of(Q0, V0), g.getFirst().sites().stream().map(VeraSiteWeights::site).toList());
        for (VeraSiteWeights s : g.getFirst().sites()) {
            assertSame(A, s.a(), "the shared array itself, so that it is uploaded once");
            assertSame(BT, s.bt());
            assertEquals(4, s.aStride());
            assertEquals(3, s.btStride());
        }
    }

    @Test
    void termsOfAnotherScaleOrRankOrAtATakenSiteGoToAnotherGroup() {
        List<DeviceHooks.Group> g = DeviceHooks.groups(new LowRankUpdate(List.of(
                term(Q0, 1f, 2), term(Q0, 1f, 2), term(V0, 0.5f, 2), term(V0, 1f, 1), term(V0, 1f, 2))));
        assertEquals(4, g.size());
        // the last term joins the first group: the first of its scale and rank without a term at V0
        assertEquals(List.of(Q0, V0), g.get(0).sites().stream().map(VeraSiteWeights::site).toList());
        assertEquals(List.of(Q0), g.get(1).sites().stream().map(VeraSiteWeights::site).toList());
        assertEquals(List.of(V0), g.get(2).sites().stream().map(VeraSiteWeights::site).toList());
        assertEquals(0.5f, g.get(2).scale());
        assertEquals(1, g.get(3).rank());
    }

    @Test
    void aViewThatDoesNotStartTheArrayIsCopied() {
        // rows 1..2 of a 3-row matrix, columns 0..1 of 4
        float[] data = {0, 0, 0, 0, 1, 2, 9, 9, 3, 4, 9, 9};
        DeviceHooks.Rows r = DeviceHooks.Rows.of(new FloatRows(data, 4, 4, 2, 2));
        assertArrayEquals(new float[] {1, 2, 3, 4}, r.data());
        assertEquals(2, r.stride());
        assertSame(data, DeviceHooks.Rows.of(new FloatRows(data, 0, 4, 3, 2)).data());
    }

    @Test
    void theOutputProjectionIsRefused() {
        LowRankUpdate u = new LowRankUpdate(List.of(new LowRankUpdate.Term(LinearSite.output(), 1f, new FloatRows(A, 0, 4, 2, 4),
                new FloatRows(BT, 0, 3, 2, 3), new float[2], new float[3])));
        DeviceException e = assertThrows(DeviceException.class, () -> DeviceHooks.groups(u));
        assertEquals("adapters on the GPU change q, k, v, o, gate, up and down; this one also changes " + LinearSite.output() + ": use --device cpu",
                e.getMessage());
    }
}

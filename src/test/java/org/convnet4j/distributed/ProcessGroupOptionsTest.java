package org.convnet4j.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Parsing and checking --rank, --world and --rendezvous. */
class ProcessGroupOptionsTest {
    private static String error(Integer rank, Integer world, String rendezvous) {
        return assertThrows(IllegalArgumentException.class, () -> ProcessGroupOptions.of(rank, world, rendezvous))
                .getMessage();
    }

    @Test
    void noneGivenIsARunOfOneProcess() {
        assertNull(ProcessGroupOptions.of(null, null, null));
    }

    @Test
    void allThreeParse() {
        assertEquals(new ProcessGroupOptions(1, 2, "node0.cluster", 29500), ProcessGroupOptions.of(1, 2, "node0.cluster:29500"));
        assertEquals(new ProcessGroupOptions(0, 4, "10.0.0.7", 1), ProcessGroupOptions.of(0, 4, "10.0.0.7:1"));
        assertEquals(new ProcessGroupOptions(3, 4, "fe80::1", 29500), ProcessGroupOptions.of(3, 4, "[fe80::1]:29500"));
        assertEquals("rank 1 of 2, rendezvous h:9", ProcessGroupOptions.of(1, 2, "h:9").toString());
    }

    @Test
    void someButNotAllIsAnError() {
        assertEquals("--rank, --world and --rendezvous go together (a run over several processes needs all three);"
                + " given: --rank --world", error(0, 2, null));
        assertEquals("--rank, --world and --rendezvous go together (a run over several processes needs all three);"
                + " given: --rendezvous", error(null, null, "h:1"));
    }

    @Test
    void valuesOutOfRangeAreNamed() {
        assertEquals("--rank must lie in 0..1 for --world 2, got 2", error(2, 2, "h:1"));
        assertEquals("--rank must lie in 0..1 for --world 2, got -1", error(-1, 2, "h:1"));
        assertEquals("--world must be >= 1, got 0", error(0, 0, "h:1"));
        assertEquals("--rendezvous must be HOST:PORT, got 'host'", error(0, 2, "host"));
        assertEquals("--rendezvous must be HOST:PORT with a numeric port, got 'host:http'", error(0, 2, "host:http"));
        assertEquals("--rendezvous port must lie in 1..65535, got 0", error(0, 2, "host:0"));
        assertEquals("--rendezvous port must lie in 1..65535, got 70000", error(0, 2, "host:70000"));
        assertEquals("--rendezvous needs a host before the port, as HOST:PORT", error(0, 2, ":29500"));
    }
}

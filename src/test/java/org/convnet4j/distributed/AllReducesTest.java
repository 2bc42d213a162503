package org.convnet4j.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cuda.FakeCudaBackend;
import org.junit.jupiter.api.Test;

/** Which all-reduce a process's replicas get, and what is said when NCCL cannot be used. */
class AllReducesTest {
    @Test
    void cpuReplicasAreReducedInProcessWithoutANote() {
        List<String> log = new ArrayList<>();
        try (CpuBackend a = new CpuBackend(1); CpuBackend b = new CpuBackend(1);
             AllReduce r = AllReduces.forBackends(List.of(a, b), log::add)) {
            assertTrue(r instanceof InProcessAllReduce, r.description());
            assertTrue(log.isEmpty(), log.toString());
        }
    }

    @Test
    void cudaReplicasThatNcclCannotTakeFallBackToTheHostAndSayWhy() {
        // two host-fake CUDA backends, both on "device 0": NCCL refuses two ranks on one device
        List<String> log = new ArrayList<>();
        List<Backend> gpus = List.of(FakeCudaBackend.open(), FakeCudaBackend.open());
        try (AllReduce r = AllReduces.forBackends(gpus, log::add)) {
            assertTrue(r instanceof InProcessAllReduce, r.description());
            assertEquals(List.of("data parallel: NCCL cannot be used, the gradients are summed through host memory"
                    + " instead: replicas 0 and 1 are both on CUDA device 0: NCCL needs one device per replica (it"
                    + " refuses two ranks on one device)"), log);
        } finally {
            gpus.forEach(Backend::close);
        }
    }

    @Test
    void cpuReplicasOfSeveralProcessesReduceOverTcp() {
        try (CpuBackend a = new CpuBackend(1); AllReduce r = AllReduces.forProcesses(List.of(a),
                new ProcessGroupOptions(0, 1, "127.0.0.1", 0), "t", Duration.ofSeconds(5))) {
            assertTrue(r instanceof TcpAllReduce, r.description());
            assertEquals(1, r.worldSize());
        }
    }

    @Test
    void mixedOrMissingBackendsAreRefused() {
        Backend gpu = FakeCudaBackend.open();
        try (CpuBackend cpu = new CpuBackend(1)) {
            assertEquals("data parallel: every replica needs the same kind of backend, got cpu and cuda",
                    assertThrows(IllegalArgumentException.class, () -> AllReduces.forBackends(List.of(cpu, gpu)))
                            .getMessage());
            assertThrows(IllegalArgumentException.class, () -> AllReduces.forBackends(List.of()));
        } finally {
            gpu.close();
        }
    }
}

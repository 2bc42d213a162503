package org.convnet4j.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The all-reduce across processes on loopback, each process a thread here with its own CPU backends: the sum
 * has the bits of the in-process one over all global ranks, broadcast from any rank, refusals, and a peer
 * that hangs up or calls something else failing the others with its rank named.
 */
class TcpAllReduceTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final Shape SHAPE = Shape.of(4, 7);
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<Backend> backends = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        backends.forEach(Backend::close);
    }

    private static int freePort() throws Exception {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }

    private static float[] random(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[SHAPE.size()];
        for (int j = 0; j < v.length; j++) {
            v[j] = (float) (rng.nextDouble(-1, 1) * Math.pow(10, rng.nextInt(-3, 4)));
        }
        return v;
    }

    private List<Backend> cpus(int n) {
        List<Backend> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new CpuBackend(1));
        }
        synchronized (backends) {
            backends.addAll(list);
        }
        return list;
    }

    /** world processes of local replicas each, every one running body on its all-reduce and tensors. */
    private <T> List<Future<T>> processes(int world, int local, Function<Process, T> body) throws Exception {
        int port = freePort();
        List<Future<T>> out = new ArrayList<>();
        for (int p = 0; p < world; p++) {
            int rank = p;
            out.add(pool.submit((Callable<T>) () -> {
                List<Backend> b = cpus(local);
                try (TcpAllReduce r = TcpAllReduce.join(b, new ProcessGroupOptions(rank, world, "127.0.0.1", port), "t",
                        TIMEOUT)) {
                    List<Tensor> t = new ArrayList<>();
                    for (int i = 0; i < local; i++) {
                        t.add(b.get(i).tensor(SHAPE, random(rank * local + i)));
                    }
                    return body.apply(new Process(r, b, t));
                }
            }));
        }
        return out;
    }

    private record Process(TcpAllReduce allReduce, List<Backend> backends, List<Tensor> tensors) {
        float[] get(int i) {
            return backends.get(i).toFloatArray(tensors.get(i));
        }
    }

    @Test
    void twoProcessesOfTwoReplicasSumAsFourReplicasInOneProcess() throws Exception {
        List<Backend> single = cpus(4);
        float[] expected;
        List<Tensor> t = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            t.add(single.get(i).tensor(SHAPE, random(i)));
        }
        try (InProcessAllReduce in = new InProcessAllReduce(single)) {
            in.allReduceSum(t);
            expected = single.get(0).toFloatArray(t.get(0));
        }
        for (Future<List<float[]>> f : processes(2, 2, p -> {
            assertEquals(4, p.allReduce().worldSize());
            assertEquals(2, p.allReduce().localReplicas());
            p.allReduce().allReduceSum(p.tensors());
            return List.of(p.get(0), p.get(1), new float[] {p.allReduce().firstRank()});
        })) {
            List<float[]> got = f.get(60, TimeUnit.SECONDS);
            assertArrayEquals(expected, got.get(0));
            assertArrayEquals(expected, got.get(1));
        }
    }

    @Test
    void broadcastFromARankOfAnotherProcessReachesEveryReplica() throws Exception {
        for (int root : new int[] {0, 4}) {
            for (Future<List<float[]>> f : processes(3, 2, p -> {
                p.allReduce().broadcast(p.tensors(), root);
                return List.of(p.get(0), p.get(1));
            })) {
                List<float[]> got = f.get(60, TimeUnit.SECONDS);
                assertArrayEquals(random(root), got.get(0));
                assertArrayEquals(random(root), got.get(1));
            }
        }
    }

    @Test
    void wrongListsAndRootsAreRefusedBeforeAnythingIsSent() throws Exception {
        for (Future<String> f : processes(1, 2, p -> {
            String m = assertThrows(IllegalArgumentException.class,
                    () -> p.allReduce().allReduceSum(p.tensors().subList(0, 1))).getMessage();
            assertEquals("tcp all-reduce: allReduceSum needs one tensor per replica (2), got 1", m);
            return assertThrows(IllegalArgumentException.class, () -> p.allReduce().broadcast(p.tensors(), 2))
                    .getMessage();
        })) {
            assertEquals("tcp all-reduce: broadcast root 2 is not a rank of the run; ranks are 0..1",
                    f.get(60, TimeUnit.SECONDS));
        }
    }

    @Test
    void processesOutOfStepFailWithTheCallsNamed() throws Exception {
        List<Future<Object>> f = processes(2, 1, p -> {
            if (p.allReduce().firstRank() == 0) {
                p.allReduce().allReduceSum(p.tensors());
            } else {
                p.allReduce().broadcast(p.tensors(), 0);
            }
            return null;
        });
        assertEquals("tcp all-reduce: allReduceSum on rank 0 of 2: rank 1 called broadcast from rank 0"
                + " of 28 elements where rank 0 called allReduceSum of 28 elements: the processes are out of step"
                + " (every process must make the same calls in the same order)", failure(f.get(0)));
        assertEquals("tcp all-reduce: broadcast on rank 1 of 2: rank 0 closed the connection (it failed or stopped;"
                + " its log says why)", failure(f.get(1)));
    }

    @Test
    void aPeerThatStopsFailsTheOthersWithItsRankNamed() throws Exception {
        List<Future<Object>> f = processes(3, 1, p -> {
            if (p.allReduce().firstRank() != 2) {
                p.allReduce().allReduceSum(p.tensors());
            } // rank 2 closes its all-reduce instead, as a process that died would
            return null;
        });
        assertEquals("tcp all-reduce: allReduceSum on rank 0 of 3: rank 2 closed the connection (it failed or"
                + " stopped; its log says why)", failure(f.get(0)));
        assertEquals("tcp all-reduce: allReduceSum on rank 1 of 3: rank 0 closed the connection (it failed or"
                + " stopped; its log says why)", failure(f.get(1)));
    }

    private static String failure(Future<?> f) {
        Throwable t = assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS)).getCause();
        assertTrue(t instanceof TcpAllReduce.ProcessGroupException, String.valueOf(t));
        return t.getMessage();
    }
}

package org.convnet4j.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InProcessAllReduceTest {
    private static final Shape SHAPE = Shape.of(3, 5);
    private final List<Backend> backends = new ArrayList<>();
    private InProcessAllReduce allReduce;

    @BeforeEach
    void open() {
        for (int r = 0; r < 3; r++) {
            backends.add(new CpuBackend(1));
        }
        allReduce = new InProcessAllReduce(backends);
    }

    @AfterEach
    void close() {
        allReduce.close();
        backends.forEach(Backend::close);
    }

    /** One tensor per replica, replica r holding values[r]. */
    private List<Tensor> tensors(float[][] values) {
        List<Tensor> list = new ArrayList<>();
        for (int r = 0; r < values.length; r++) {
            list.add(backends.get(r).tensor(SHAPE, values[r]));
        }
        return list;
    }

    private static float[][] random(long seed, float scale) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[][] v = new float[3][SHAPE.size()];
        for (float[] row : v) {
            for (int j = 0; j < row.length; j++) {
                row[j] = (float) ((rng.nextDouble() * 2 - 1) * Math.pow(10, rng.nextInt(-3, 4)) * scale);
            }
        }
        return v;
    }

    @Test
    void sumIsTheDoubleSumInReplicaOrderRoundedOnceInEveryReplica() {
        float[][] v = random(1, 1);
        List<Tensor> t = tensors(v);
        allReduce.allReduceSum(t);
        float[] expected = new float[SHAPE.size()];
        for (int j = 0; j < expected.length; j++) {
            expected[j] = (float) (((double) v[0][j] + v[1][j]) + v[2][j]);
        }
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(expected, backends.get(r).toFloatArray(t.get(r)), 0f, "replica " + r);
        }
    }

    @Test
    void theOrderIsFixedSoTheSumCanDifferFromAnotherOrderButNeverBetweenCalls() {
        // 1e8 + 1 - 1e8 in float is 0 in one order and 1 in another; in double, replica order, it is 1.
        float[][] v = {{1e8f, -1e8f}, {1f, 1f}, {-1e8f, 1e8f}};
        List<Tensor> a = new ArrayList<>();
        List<Tensor> b = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            a.add(backends.get(r).tensor(Shape.of(2), v[r]));
            b.add(backends.get(r).tensor(Shape.of(2), v[r]));
        }
        allReduce.allReduceSum(a);
        allReduce.allReduceSum(b);
        assertArrayEquals(new float[] {1f, 1f}, backends.get(0).toFloatArray(a.get(0)), 0f);
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(backends.get(0).toFloatArray(a.get(0)), backends.get(r).toFloatArray(b.get(r)), 0f);
        }
    }

    @Test
    void theSameInputsGiveTheSameBitsTwice() {
        float[][] v = random(2, 1e-3f);
        List<Tensor> first = tensors(v);
        List<Tensor> second = tensors(v);
        allReduce.allReduceSum(first);
        allReduce.allReduceSum(second);
        for (int r = 0; r < 3; r++) {
            float[] x = backends.get(r).toFloatArray(first.get(r));
            float[] y = backends.get(r).toFloatArray(second.get(r));
            for (int j = 0; j < x.length; j++) {
                assertEquals(Float.floatToRawIntBits(x[j]), Float.floatToRawIntBits(y[j]), "replica " + r + ", " + j);
            }
        }
    }

    @Test
    void broadcastCopiesTheRootsTensorToEveryReplicaAndLeavesTheRoot() {
        float[][] v = random(3, 1);
        List<Tensor> t = tensors(v);
        allReduce.broadcast(t, 1);
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(v[1], backends.get(r).toFloatArray(t.get(r)), 0f, "replica " + r);
        }
    }

    @Test
    void describesItselfAndIsOneProcess() {
        assertEquals(3, allReduce.worldSize());
        assertEquals(3, allReduce.localReplicas());
        assertEquals(0, allReduce.firstRank());
        assertTrue(allReduce.description().contains("3 replicas"), allReduce.description());
    }

    @Test
    void badListsAreRefusedWithWhatWasWrong() {
        List<Tensor> t = tensors(random(4, 1));
        var two = assertThrows(IllegalArgumentException.class, () -> allReduce.allReduceSum(t.subList(0, 2)));
        assertTrue(two.getMessage().contains("one tensor per replica (3), got 2"), two.getMessage());
        List<Tensor> shapes = new ArrayList<>(t);
        shapes.set(2, backends.get(2).allocate(Shape.of(5, 3)));
        var shape = assertThrows(IllegalArgumentException.class, () -> allReduce.allReduceSum(shapes));
        assertTrue(shape.getMessage().contains("replica 2's tensor has shape [5, 3] but replica 0's has [3, 5]"),
                shape.getMessage());
        List<Tensor> ints = new ArrayList<>(t);
        ints.set(1, backends.get(1).allocate(SHAPE, DataType.INT32));
        var dtype = assertThrows(IllegalArgumentException.class, () -> allReduce.broadcast(ints, 0));
        assertTrue(dtype.getMessage().contains("replica 1's tensor") && dtype.getMessage().contains("FLOAT32"),
                dtype.getMessage());
        List<Tensor> closed = new ArrayList<>(t);
        closed.set(0, backends.get(0).allocate(SHAPE));
        closed.get(0).close();
        var c = assertThrows(IllegalArgumentException.class, () -> allReduce.allReduceSum(closed));
        assertTrue(c.getMessage().contains("replica 0's tensor") && c.getMessage().contains("closed"), c.getMessage());
        var root = assertThrows(IllegalArgumentException.class, () -> allReduce.broadcast(t, 3));
        assertTrue(root.getMessage().contains("root 3 is not a rank"), root.getMessage());
        allReduce.close();
        assertThrows(IllegalStateException.class, () -> allReduce.allReduceSum(t));
    }
}

package org.convnet4j.backend.cuda;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The scalars of a training step that change from step to step (the learning rate, Adam's step count,
 * dropout's mask seeds), kept in device memory so that kernels read them there and one captured graph
 * serves every step. Each scalar has a slot of one or two 32-bit words in one pooled block (taken on first
 * use, so before any capture); {@link #set} writes a slot with a stream-ordered fill of the new bits when
 * they differ from what the slot will hold.
 *
 * <p>While a step is captured, writes are held back and issued by {@link #endCapture} after the capture,
 * before the graph first runs (a fill in the graph would write the captured step's value on every replay).
 * A slot set to two different values within one captured step cannot be captured and throws. While a graph
 * replays, the step's host side runs first and its writes go to the stream ahead of the graph.
 */
final class StepScalars {
    /** Words in the block: room for the optimizers' two scalars and hundreds of dropout layers. */
    static final int WORDS = 1024;

    private final DevicePool pool;
    private final DeviceOps device;
    private final GraphPhase phase;
    private final Map<Object, Integer> slots = new HashMap<>();
    private final int[] mirror = new int[WORDS];
    /** Words written during the capture in progress, with the value each held before it. */
    private final Map<Integer, Integer> heldBack = new LinkedHashMap<>();
    private DevicePool.Block block;
    private int used;

    StepScalars(DevicePool pool, DeviceOps device, GraphPhase phase) {
        this.pool = pool;
        this.device = device;
        this.phase = phase;
    }

    /** The device address of key's slot of words words (1, or 2 for a 64-bit value, 8-byte aligned). */
    long slot(Object key, int words) {
        Integer word = slots.get(key);
        if (word == null) {
            if (block == null) {
                block = pool.acquire(4L * WORDS);
                device.set32(block.address(), 0, WORDS);
            }
            word = (used + words - 1) / words * words;
            if (word + words > WORDS) {
                throw new IllegalStateException("more than " + WORDS + " words of per-step scalars (at " + key + ")");
            }
            used = word + words;
            slots.put(key, word);
        }
        return block.address() + 4L * word;
    }

    /** Sets key's one-word slot to the bits of value. */
    void set(Object key, float value) {
        write(slot(key, 1), Float.floatToRawIntBits(value), key);
    }

    /** Sets key's one-word slot to value. */
    void set(Object key, int value) {
        write(slot(key, 1), value, key);
    }

    /** Sets key's two-word slot to value (little-endian, as the device reads a 64-bit integer). */
    void set(Object key, long value) {
        long address = slot(key, 2);
        write(address, (int) value, key);
        write(address + 4, (int) (value >>> 32), key);
    }

    private void write(long address, int bits, Object key) {
        int word = (int) ((address - block.address()) / 4);
        if (mirror[word] == bits) {
            return;
        }
        if (phase.mode() == GraphPhase.Mode.CAPTURING) {
            if (heldBack.containsKey(word)) {
                throw new IllegalStateException("the per-step scalar " + key + " takes two values in one captured"
                        + " step; a graph holds one value per scalar and step");
            }
            heldBack.put(word, mirror[word]);
        } else {
            device.set32(address, bits, 1);
        }
        mirror[word] = bits;
    }

    /**
     * Ends a capture: after a successful one (committed) the held-back writes are issued to the stream,
     * ahead of the graph's first launch; after a failed one they are forgotten and the slots' values revert.
     */
    void endCapture(boolean committed) {
        for (Map.Entry<Integer, Integer> e : heldBack.entrySet()) {
            int word = e.getKey();
            if (committed) {
                device.set32(block.address() + 4L * word, mirror[word], 1);
            } else {
                mirror[word] = e.getValue();
            }
        }
        heldBack.clear();
    }

    /** Forgets the block without releasing it, for a backend closing its whole pool. */
    void forget() {
        block = null;
    }
}

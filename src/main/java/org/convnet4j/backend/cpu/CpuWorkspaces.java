package org.convnet4j.backend.cpu;

/**
 * The scratch arrays a {@link CpuBackend} keeps and reuses across calls, counted in its memory stats:
 * per thread part a column buffer (convolution forward and backward data) and a scratch buffer (LRN
 * backward), and one chunk of column matrices for the filter gradient. Each grows when a call needs more.
 */
final class CpuWorkspaces {
    private final MemoryCounter memory;
    private final float[][] columns;
    private final float[][] scratch;
    private float[] filterChunk = new float[0];

    CpuWorkspaces(int parts, MemoryCounter memory) {
        this.memory = memory;
        this.columns = new float[parts][];
        this.scratch = new float[parts][];
    }

    /** Part's column buffer, at least floats long. */
    float[] columns(int part, int floats) {
        return workspace(columns, part, floats);
    }

    /** Part's scratch buffer, at least floats long. */
    float[] scratch(int part, int floats) {
        return workspace(scratch, part, floats);
    }

    private synchronized float[] workspace(float[][] slots, int part, int floats) {
        float[] w = slots[part];
        if (w == null || w.length < floats) {
            drop(w);
            w = new float[floats];
            memory.allocated((long) floats * Float.BYTES);
            slots[part] = w;
        }
        return w;
    }

    /** The filter gradient's chunk of column matrices, at least floats long. */
    synchronized float[] filterChunk(long floats) {
        if (filterChunk.length < floats) {
            drop(filterChunk);
            filterChunk = new float[Math.toIntExact(floats)];
            memory.allocated(floats * Float.BYTES);
        }
        return filterChunk;
    }

    /** Takes every workspace out of the counters and forgets it. */
    synchronized void close() {
        for (int i = 0; i < columns.length; i++) {
            drop(columns[i]);
            columns[i] = null;
            drop(scratch[i]);
            scratch[i] = null;
        }
        drop(filterChunk);
        filterChunk = new float[0];
    }

    /** Takes a workspace out of the counters (the garbage collector frees the array). */
    private void drop(float[] w) {
        if (w != null && w.length > 0) {
            memory.freed((long) w.length * Float.BYTES);
        }
    }
}

package org.convnet4j.backend.cpu;

import dev.ludovic.netlib.blas.NativeBLAS;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The machine's optimized native BLAS, reached through dev.ludovic.netlib's JNI binding, which opens
 * {@code libblas.so.3} (or the library named by {@code -Ddev.ludovic.netlib.blas.nativeLib}). It is used
 * only when the file that library resolved to is a known optimized BLAS (OpenBLAS, BLIS, MKL, Arm PL):
 * the reference BLAS, which Debian's {@code libblas3} also installs as {@code libblas.so.3}, is several
 * times slower than {@link CpuGemm}'s own SGEMM. Loaded once per JVM; {@link #unavailableReason()} says
 * why not when it did not load.
 *
 * <p>Row-major products are handed to the column-major Fortran interface as the transposed product:
 * C[m, n] = op(A) op(B) row-major is C^T[n, m] = op(B)^T op(A)^T column-major, so A and B swap places
 * and keep their own transpose flags and leading dimensions.
 */
final class CpuBlas {
    private static final List<String> OPTIMIZED = List.of("openblas", "blis", "mkl", "armpl");
    private static final Loaded LOADED = load();

    private CpuBlas() {
    }

    /** The native BLAS, or null when none loads (see {@link #unavailableReason()}). */
    static NativeBLAS blas() {
        return LOADED.blas;
    }

    /** What the loaded BLAS is ("OpenBLAS: /usr/lib/.../libblas.so.3"), or null. */
    static String loadedDescription() {
        return LOADED.blas == null ? null : LOADED.detail;
    }

    /** Why no native BLAS is used, or null when one is. */
    static String unavailableReason() {
        return LOADED.blas == null ? LOADED.detail : null;
    }

    /**
     * Row-major C[i0:i1, j0:j1] = alpha * op(A) op(B) + beta * C on that block, with the same arguments
     * as {@link CpuGemm#gemm}; the caller has checked them.
     */
    static void gemmBlock(NativeBLAS blas, boolean transA, boolean transB, int i0, int i1, int j0, int j1, int k,
                          float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float beta, float[] c, int cOff, int ldc) {
        // Row i0 of op(A) and column j0 of op(B), as stored.
        int aBlock = aOff + (transA ? i0 : i0 * lda);
        int bBlock = bOff + (transB ? j0 * ldb : j0);
        blas.sgemm(transB ? "T" : "N", transA ? "T" : "N", j1 - j0, i1 - i0, k, alpha,
                b, bBlock, ldb, a, aBlock, lda, beta, c, cOff + i0 * ldc + j0, ldc);
    }

    private record Loaded(NativeBLAS blas, String detail) {
    }

    private static Loaded load() {
        NativeBLAS blas;
        // netlib logs a warning for each implementation that does not load; the reason is ours to give.
        Logger log = Logger.getLogger("dev.ludovic.netlib.blas.InstanceBuilder");
        Level level = log.getLevel();
        log.setLevel(Level.OFF);
        try {
            blas = NativeBLAS.getInstance();
        } catch (LinkageError | RuntimeException e) {
            return new Loaded(null, "no native BLAS: dev.ludovic.netlib could not open libblas.so.3 (install"
                    + " OpenBLAS, e.g. Debian's libopenblas0, or name a library with"
                    + " -Ddev.ludovic.netlib.blas.nativeLib=...): " + e);
        } finally {
            log.setLevel(level);
        }
        String library = mappedBlasLibrary();
        if (library == null) {
            return new Loaded(null, "a native BLAS loaded but its file could not be found in /proc/self/maps,"
                    + " so it cannot be told from the slow reference BLAS");
        }
        String kind = optimizedKind(library);
        return kind != null ? new Loaded(blas, kind + " " + library)
                : new Loaded(null, "the native BLAS " + library + " is not a known optimized one (OpenBLAS, BLIS,"
                        + " MKL, Arm PL); the reference BLAS is slower than the own SGEMM");
    }

    /** "OpenBLAS", "BLIS", "MKL" or "ARMPL" when the library's path names one, else null. */
    static String optimizedKind(String library) {
        String lower = library.toLowerCase(Locale.ROOT);
        for (String name : OPTIMIZED) {
            if (lower.contains(name)) {
                return name.equals("openblas") ? "OpenBLAS" : name.toUpperCase(Locale.ROOT);
            }
        }
        return null;
    }

    /** The real path of the BLAS library mapped into this process (not netlib's JNI shim), or null. */
    private static String mappedBlasLibrary() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int slash = line.indexOf('/');
                if (slash < 0) {
                    continue;
                }
                String path = line.substring(slash);
                String file = path.substring(path.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
                if (file.contains("blas") && !file.contains("netlibblasjni") || file.contains("mkl_rt")) {
                    return path;
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }
}

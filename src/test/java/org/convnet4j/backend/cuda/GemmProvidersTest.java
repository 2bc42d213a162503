package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.convnet4j.backend.BackendUnavailableException;
import org.junit.jupiter.api.Test;

/** GemmProviders' selection and property parsing, with fake candidates. */
class GemmProvidersTest {

    private final List<String> created = new ArrayList<>();

    private GemmProviders.Candidate loads(String name) {
        return new GemmProviders.Candidate(name, () -> {
            created.add(name);
            return new Fake(name);
        });
    }

    private static GemmProviders.Candidate fails(String name, Throwable t) {
        return new GemmProviders.Candidate(name, () -> {
            if (t instanceof RuntimeException r) {
                throw r;
            }
            throw (Error) t;
        });
    }

    @Test
    void theFirstCandidateThatLoadsIsChosenAndEachFailureKeepsItsReason() {
        UnsatisfiedLinkError jcublasMissing = new UnsatisfiedLinkError(
                "Error while loading native library \"JCublas2-12.6.0-linux-x86_64\"\n"
                        + "java.lang.UnsatisfiedLinkError: /tmp/libJCublas2-12.6.0-linux-x86_64.so: libcublas.so.12: "
                        + "cannot open shared object file: No such file or directory");
        GemmProviders.Selection s = GemmProviders.select(List.of(fails("jcublas", jcublasMissing),
                loads("cublas13"), loads("kernel")), null);
        assertEquals("cublas13", s.provider().name());
        assertEquals(List.of("jcublas: unavailable: UnsatisfiedLinkError: libcublas.so.12 not found",
                "cublas13: loaded"), s.attempts());
        assertEquals(List.of("cublas13"), created, "later candidates are not even created");
    }

    @Test
    void aRequestedProviderIsTheOnlyOneTried() {
        GemmProviders.Selection s = GemmProviders.select(List.of(loads("jcublas"), loads("kernel")), "kernel");
        assertEquals("kernel", s.provider().name());
        assertEquals(List.of("kernel"), created);
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> GemmProviders.select(List.of(fails("cublas13", new IllegalStateException("no libcublas.so.13")),
                        loads("kernel")), "cublas13"));
        assertEquals("GEMM provider 'cublas13' (asked for by -Dconvnet4j.gemm) cannot load: no libcublas.so.13",
                e.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> GemmProviders.select(List.of(loads("kernel")), "cudnn"));
        assertTrue(unknown.getMessage().contains("[kernel]"), unknown.getMessage());
    }

    @Test
    void whenNothingLoadsEveryReasonIsInTheMessage() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> GemmProviders.select(List.of(fails("a", new IllegalStateException("reason one")),
                        fails("b", new NoClassDefFoundError("org/bytedeco/cuda/global/cublas"))), null));
        assertTrue(e.getMessage().contains("a: unavailable: reason one"), e.getMessage());
        assertTrue(e.getMessage().contains("b: unavailable: NoClassDefFoundError: org/bytedeco/cuda/global/cublas"),
                e.getMessage());
    }

    @Test
    void thePropertyIsTrimmedAndLowerCased() {
        assertNull(GemmProviders.parseRequested(null));
        assertNull(GemmProviders.parseRequested("  "));
        assertEquals("cublas13", GemmProviders.parseRequested(" CuBLAS13 "));
    }

    @Test
    void theDefaultOrderIsJcublasCublas13KernelAndMissingClassesSaySo() {
        List<GemmProviders.Candidate> defaults = GemmProviders.defaultCandidates(null, CudaStream.fake(1));
        assertEquals(List.of("jcublas", "cublas13", "kernel"), defaults.stream().map(GemmProviders.Candidate::name).toList());
        GemmProviders.Selection s = GemmProviders.select(List.of(defaults.get(0), defaults.get(1), loads("kernel")),
                null);
        assertEquals("kernel", s.provider().name());
        for (String line : s.attempts().subList(0, 2)) {
            // on this branch the cuBLAS providers may be absent (not in this build) or fail to load their library
            assertTrue(line.matches("(jcublas|cublas13): unavailable: .+"), line);
            assertTrue(line.lines().count() == 1, line);
        }
    }

    @Test
    void reasonsAreOneLine() {
        assertEquals("plain", GemmProviders.reason(new RuntimeException("plain\nsecond line")));
        assertEquals("IllegalStateException", GemmProviders.reason(new IllegalStateException()));
        assertSame(null, GemmProviders.parseRequested(""));
    }

    private record Fake(String name) implements GemmProvider {
        @Override
        public CudaStream stream() {
            return CudaStream.fake(1);
        }

        @Override
        public void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, long a,
                                        int lda, long strideA, long b, int ldb, long strideB, float beta, long c,
                                        int ldc, long strideC, int batch) {
        }

        @Override
        public void close() {
        }
    }
}

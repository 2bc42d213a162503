package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.convnet4j.backend.ConvAlgorithms;
import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvPass;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The find step with a fake timer and fake algorithms: auto picks the fastest applicable deterministic one within
 * the workspace limit, never runs the others, caches the winner per (geometry, pass, device); a forced one runs
 * where it applies and im2col elsewhere.
 */
class ConvAlgorithmFinderTest {
    private static final long LIMIT = 1000;
    private static final ConvGeometry G3 = ConvGeometry.of("conv", Shape.of(2, 3, 9, 9), Shape.of(4, 3, 3, 3),
            ConvSpec.of(1, 1));
    private static final ConvGeometry G5 = ConvGeometry.of("conv", Shape.of(2, 3, 9, 9), Shape.of(4, 3, 5, 5),
            ConvSpec.of(1, 2));

    /** Runs recorded by name; the fake timer reports the time of the algorithm the work ran. */
    private final List<String> runs = new ArrayList<>();
    private final Map<String, Double> millis = new HashMap<>();
    private int timings;

    /** A fake algorithm: applies to 3x3 filters only unless general, a fixed workspace, grouped layers if grouped. */
    private record Fake(String name, boolean deterministic, boolean general, long workspace, boolean grouped)
            implements ConvAlgorithm {
        Fake(String name, boolean deterministic, boolean general, long workspace) {
            this(name, deterministic, general, workspace, false);
        }

        @Override
        public boolean supportsGroups() {
            return grouped;
        }

        @Override
        public String whyNot(ConvGeometry g, ConvPass pass) {
            return general || g.fh() == 3 ? null : "filter " + g.fh() + "x" + g.fw() + ", needs 3x3";
        }

        @Override
        public long workspaceBytes(ConvGeometry g, ConvPass pass) {
            return workspace;
        }

        @Override
        public void forward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        }

        @Override
        public void backwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        }

        @Override
        public void backwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias) {
        }
    }

    private final List<ConvAlgorithm> registry = List.of(
            new Fake("im2col", true, true, 100),
            new Fake("fast-but-racy", false, true, 10),     // fastest, not deterministic
            new Fake("three", true, false, 200),            // 3x3 only
            new Fake("huge", true, true, LIMIT + 1),        // over the workspace limit
            new Fake("three-slow", true, false, 10));
    private final Map<ConvAlgorithmFinder.Key, ConvAlgorithmFinder.Choice> cache = new HashMap<>();
    private final ConvAlgorithmFinder finder = new ConvAlgorithmFinder(cache, work -> {
        timings++;
        int before = runs.size();
        work.run();
        assertEquals(before + 1, runs.size(), "the timer times one run");
        return millis.get(runs.get(runs.size() - 1));
    }, LIMIT);

    ConvAlgorithmFinderTest() {
        millis.put("im2col", 5.0);
        millis.put("fast-but-racy", 0.1);
        millis.put("three", 2.0);
        millis.put("huge", 0.2);
        millis.put("three-slow", 3.0);
    }

    private ConvAlgorithmFinder.Choice choose(ConvGeometry g, ConvPass pass, String device, String requested) {
        return finder.choose(new ConvAlgorithmFinder.Key(g, pass, device), registry, requested, a -> runs.add(a.name()));
    }

    @Test
    void autoPicksTheFastestApplicableDeterministicAlgorithmWithinTheWorkspaceLimit() {
        ConvAlgorithmFinder.Choice c = choose(G3, ConvPass.FORWARD, "gpu0", ConvAlgorithms.AUTO);
        assertEquals("three", c.algorithm());
        assertEquals(3, timings, "im2col, three, three-slow timed once each");
        assertEquals(List.of("im2col", "im2col", "three", "three", "three-slow", "three-slow"), runs,
                "one warm-up run, then one timed run, of each candidate only");
        assertTrue(c.why().contains("im2col 5.000 ms") && c.why().contains("three 2.000 ms"), c.why());
        assertTrue(c.why().contains("fast-but-racy: not deterministic"), c.why());
        assertTrue(c.why().contains("huge: workspace"), c.why());
    }

    @Test
    void theWinnerIsCachedPerGeometryPassAndDevice() {
        choose(G3, ConvPass.BACKWARD_FILTER, "gpu0", ConvAlgorithms.AUTO);
        millis.put("three-slow", 1.0); // would now win, but the choice is cached
        assertEquals("three", choose(G3, ConvPass.BACKWARD_FILTER, "gpu0", ConvAlgorithms.AUTO).algorithm());
        assertEquals(3, timings, "nothing timed again");
        assertEquals("three-slow", choose(G3, ConvPass.BACKWARD_DATA, "gpu0", ConvAlgorithms.AUTO).algorithm(),
                "another pass is found anew");
        assertEquals("three-slow", choose(G3, ConvPass.BACKWARD_FILTER, "gpu1", ConvAlgorithms.AUTO).algorithm(),
                "another device is found anew");
        assertEquals(9, timings);
        assertEquals(3, cache.size());
    }

    @Test
    void anAlgorithmThatDoesNotDeclareGroupsIsDeclinedForGroupedLayers() {
        ConvGeometry grouped = ConvGeometry.of("conv", Shape.of(2, 4, 9, 9), Shape.of(4, 2, 3, 3),
                ConvSpec.of(1, 1).withGroups(2));
        List<ConvAlgorithm> two = List.of(new Fake("im2col", true, true, 0, true), new Fake("three", true, false, 200));
        ConvAlgorithmFinder.Choice auto = finder.choose(new ConvAlgorithmFinder.Key(grouped, ConvPass.FORWARD, "gpu0"),
                two, ConvAlgorithms.AUTO, a -> runs.add(a.name()));
        assertEquals("im2col", auto.algorithm(), "three applies to 3x3 but says nothing about groups");
        assertTrue(auto.why().contains("three: groups 2: three runs one group only"), auto.why());
        ConvAlgorithmFinder.Choice forced = finder.choose(new ConvAlgorithmFinder.Key(grouped, ConvPass.FORWARD,
                "gpu0"), two, "three", a -> runs.add(a.name()));
        assertEquals("im2col", forced.algorithm());
        assertEquals("forced three does not apply (groups 2: three runs one group only)", forced.why());
        assertEquals(0, timings);
        assertEquals("three", finder.choose(new ConvAlgorithmFinder.Key(G3, ConvPass.FORWARD, "gpu0"), two, "three",
                a -> runs.add(a.name())).algorithm(), "one group: three applies");
    }

    @Test
    void aSingleCandidateIsNotTimedAndNeverANonApplicableOne() {
        ConvAlgorithmFinder.Choice c = choose(G5, ConvPass.FORWARD, "gpu0", ConvAlgorithms.AUTO);
        assertEquals("im2col", c.algorithm(), "5x5: the 3x3 ones do not apply, the racy and huge ones are out");
        assertEquals(0, timings);
        assertTrue(runs.isEmpty());
        assertTrue(c.why().contains("three: filter 5x5, needs 3x3"), c.why());
    }

    @Test
    void aForcedAlgorithmRunsWhereItAppliesAndIm2colElsewhere() {
        assertEquals(new ConvAlgorithmFinder.Choice("three-slow", "forced"),
                choose(G3, ConvPass.FORWARD, "gpu0", "three-slow"));
        ConvAlgorithmFinder.Choice fallback = choose(G5, ConvPass.FORWARD, "gpu0", "three");
        assertEquals("im2col", fallback.algorithm());
        assertEquals("forced three does not apply (filter 5x5, needs 3x3)", fallback.why());
        assertEquals("fast-but-racy", choose(G3, ConvPass.FORWARD, "gpu0", "fast-but-racy").algorithm(),
                "forcing a non-deterministic one is the user's choice");
        assertEquals(0, timings);
        assertTrue(cache.isEmpty(), "forced choices are not auto's");
        assertThrows(IllegalArgumentException.class, () -> choose(G3, ConvPass.FORWARD, "gpu0", "fft"));
    }

    @Test
    void namesAreParsedAndUnknownOnesNamed() {
        assertEquals(ConvAlgorithms.AUTO, ConvAlgorithms.parse(null, "--conv-algo"));
        assertEquals(ConvAlgorithms.AUTO, ConvAlgorithms.parse(" Auto ", "--conv-algo"));
        assertEquals(ConvAlgorithms.IM2COL, ConvAlgorithms.parse("IM2COL", "--conv-algo"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConvAlgorithms.parse("direct", "--conv-algo"));
        assertTrue(e.getMessage().startsWith("--conv-algo: no convolution algorithm 'direct'; known: auto, im2col"),
                e.getMessage());
    }

    @Test
    void theCudaRegistryImplementsEveryNameAndReportsWhatRan() {
        HostFakes.Rig rig = HostFakes.Rig.create();
        CudaBackend b = rig.backend();
        assertEquals(ConvAlgorithms.ALGORITHMS.stream().map(ConvAlgorithms.Algorithm::name).toList(),
                b.convAlgorithms());
        b.conv2dForward(b.allocate(Shape.of(2, 3, 9, 9)), b.allocate(Shape.of(4, 3, 5, 5)), null, ConvSpec.of(1, 2),
                b.allocate(Shape.of(2, 4, 9, 9)));
        // 5x5: im2col and fft (the fake cuFFT loaded) timed, Winograd skipped with its reason
        String five = b.convAlgorithmsUsed().get(0);
        assertTrue(five.startsWith("x 2x3x9x9, w 4x3x5x5, stride 1x1, pad 2x2, forward: "), five);
        assertTrue(five.contains("(auto: fastest of im2col ") && five.contains(" ms, fft ") && five.endsWith(" ms; "
                + "winograd2x2: needs a 3x3 filter, stride 1, dilation 1, winograd4x4: needs a 3x3 filter, stride 1, "
                + "dilation 1)"), five);
        // a 3x3 stride-1 layer (the batch of 7 makes the key new to this process): all four timed on the fakes
        Tensor x = b.allocate(Shape.of(7, 3, 9, 9));
        Tensor w = b.allocate(Shape.of(4, 3, 3, 3));
        Tensor dy = b.allocate(Shape.of(7, 4, 9, 9));
        b.conv2dBackward(x, dy, w, ConvSpec.of(1, 1), b.allocate(x.shape()), b.allocate(w.shape()),
                b.allocate(Shape.of(4)));
        List<String> used = b.convAlgorithmsUsed();
        assertEquals(3, used.size(), String.join("\n", used));
        assertTrue(used.get(1).startsWith("x 7x3x9x9, w 4x3x3x3, stride 1x1, pad 1x1, backward filter: "), used.get(1));
        assertTrue(used.get(2).contains("backward data: "), used.get(2));
        for (String line : used.subList(1, 3)) {
            assertTrue(line.contains("(auto: fastest of im2col ") && line.contains(" ms, winograd2x2 ")
                    && line.contains(" ms, winograd4x4 ") && line.contains(" ms, fft "), line);
        }
        assertTrue(rig.runner().kernelNames().contains("winograd4_filter_gradient_f32"), "Winograd timed on the fakes");
        assertTrue(rig.runner().kernelNames().contains("fft_product_f32"), "fft timed on the fakes");
        assertThrows(IllegalArgumentException.class, () -> b.requestConvAlgorithm("winograd9x9"));
    }
}

package org.convnet4j.backend.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.convnet4j.backend.ConvAlgorithms;
import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvPass;

/**
 * Which {@link ConvAlgorithm} runs a convolution pass, as cuDNN's find step chooses: for
 * {@value ConvAlgorithms#AUTO}, every algorithm of the registry that applies, is deterministic and needs at most
 * the workspace limit is run once untimed (warm-up) and once timed, on the pass's own tensors, the first time a
 * (shapes, spec, pass, device) is seen; the fastest wins (ties: registry order) and is cached for the process.
 * Where only one candidate is left nothing is timed. A forced algorithm runs wherever it applies, im2col + GEMM
 * elsewhere, with the reason recorded.
 */
final class ConvAlgorithmFinder {
    /** Milliseconds one run of work takes on the device (synchronized before and after). Tests inject fakes. */
    interface Timer {
        double millis(Runnable work);
    }

    /** What a choice is cached by: the checked geometry (shapes and spec), the pass and the device's description. */
    record Key(ConvGeometry geometry, ConvPass pass, String device) {
    }

    /** The chosen algorithm's registry name and, for people, why it was chosen. */
    record Choice(String algorithm, String why) {
    }

    /** The winners of auto for this process, shared by every backend on every device (the key names it). */
    static final Map<Key, Choice> PROCESS_CACHE = new ConcurrentHashMap<>();

    private final Map<Key, Choice> cache;
    private final Timer timer;
    private final long workspaceLimit;

    ConvAlgorithmFinder(Map<Key, Choice> cache, Timer timer, long workspaceLimit) {
        this.cache = cache;
        this.timer = timer;
        this.workspaceLimit = workspaceLimit;
    }

    /**
     * The choice for key: forced (requested is an algorithm's name) or found (requested is auto).
     *
     * @param registry the algorithms, the general one (im2col) first
     * @param run      runs the key's pass with the given algorithm (only called when timing)
     */
    Choice choose(Key key, List<ConvAlgorithm> registry, String requested, Consumer<ConvAlgorithm> run) {
        if (!requested.equals(ConvAlgorithms.AUTO)) {
            return forced(key, registry, requested);
        }
        Choice cached = cache.get(key);
        if (cached != null) {
            return cached;
        }
        Choice found = find(key, registry, run);
        cache.put(key, found);
        return found;
    }

    private static Choice forced(Key key, List<ConvAlgorithm> registry, String requested) {
        ConvAlgorithm a = registry.stream().filter(r -> r.name().equals(requested)).findFirst().orElseThrow(
                () -> new IllegalArgumentException("no convolution algorithm " + requested + " in the CUDA registry"));
        String why = ConvAlgorithm.whyNotFor(a, key.geometry(), key.pass());
        return why == null ? new Choice(a.name(), "forced")
                : new Choice(registry.get(0).name(), "forced " + requested + " does not apply (" + why + ")");
    }

    private Choice find(Key key, List<ConvAlgorithm> registry, Consumer<ConvAlgorithm> run) {
        List<ConvAlgorithm> candidates = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (ConvAlgorithm a : registry) {
            String why = !a.deterministic() ? "not deterministic" : ConvAlgorithm.whyNotFor(a, key.geometry(), key.pass());
            if (why == null && a.workspaceBytes(key.geometry(), key.pass()) > workspaceLimit) {
                why = String.format(Locale.ROOT, "workspace %.0f MiB over the %.0f MiB limit",
                        a.workspaceBytes(key.geometry(), key.pass()) / 1048576.0, workspaceLimit / 1048576.0);
            }
            if (why == null) {
                candidates.add(a);
            } else {
                skipped.add(a.name() + ": " + why);
            }
        }
        if (candidates.isEmpty()) {
            throw new IllegalStateException("no convolution algorithm applies to " + key + ": " + skipped);
        }
        String notes = skipped.isEmpty() ? "" : "; " + String.join(", ", skipped);
        if (candidates.size() == 1) {
            return new Choice(candidates.get(0).name(), "auto: the only candidate" + notes);
        }
        ConvAlgorithm best = null;
        double bestMs = Double.POSITIVE_INFINITY;
        List<String> times = new ArrayList<>();
        for (ConvAlgorithm a : candidates) {
            run.accept(a); // warm-up: first launches, cuBLAS's first call
            double ms = timer.millis(() -> run.accept(a));
            times.add(String.format(Locale.ROOT, "%s %.3f ms", a.name(), ms));
            if (best == null || ms < bestMs) {
                bestMs = ms;
                best = a;
            }
        }
        return new Choice(best.name(), "auto: fastest of " + String.join(", ", times) + notes);
    }
}

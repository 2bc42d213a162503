package org.convnet4j.backend.cuda;

import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

import org.convnet4j.backend.BackendUnavailableException;

/**
 * Chooses the GEMM provider at start-up: the first candidate, in order, that loads, unless the system
 * property {@value #PROPERTY} names one ({@code jcublas}, {@code cublas13}, {@code kernel}), in which
 * case only that one is tried. Every failed candidate's reason is kept for {@code convnet4j info}.
 *
 * <p>Registration point: {@link #defaultCandidates} lists the candidates by name. The two cuBLAS
 * providers are looked up by class name ({@value #JCUBLAS_CLASS}, {@value #CUBLAS13_CLASS}), each with a
 * public no-argument constructor that throws when its library cannot load; they are called with the
 * device's primary context current.
 */
public final class GemmProviders {

    /** System property naming the provider to use instead of the first that loads. */
    public static final String PROPERTY = "convnet4j.gemm";

    static final String JCUBLAS_CLASS = "org.convnet4j.backend.cuda.JCublasGemmProvider";
    static final String CUBLAS13_CLASS = "org.convnet4j.backend.cuda.Cublas13GemmProvider";
    private static final String UNAVAILABLE = ": unavailable: ";

    private GemmProviders() {
    }

    /** A provider by name, and how to create it. create.get() throws when the provider cannot load. */
    public record Candidate(String name, Supplier<GemmProvider> create) {
    }

    /**
     * The outcome of a selection.
     *
     * @param provider the provider in use
     * @param attempts one line per candidate tried, in order: "name: loaded" or "name: unavailable: reason"
     */
    public record Selection(GemmProvider provider, List<String> attempts) {
    }

    /** The candidates in order of preference: jcublas (CUDA 12), cublas13 (CUDA 13), kernel (ours). */
    static List<Candidate> defaultCandidates(KernelLauncher launcher, CudaStream stream) {
        return List.of(
                new Candidate("jcublas", () -> byClassName(JCUBLAS_CLASS, stream)),
                new Candidate("cublas13", () -> byClassName(CUBLAS13_CLASS, stream)),
                new Candidate("kernel", () -> new KernelGemmProvider(launcher)));
    }

    /** The provider the system property asks for, lower-cased, or null when it is unset or blank. */
    public static String requestedName() {
        return parseRequested(System.getProperty(PROPERTY));
    }

    static String parseRequested(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        return value.trim().toLowerCase(Locale.ROOT);
    }

    /**
     * Picks a provider from candidates.
     *
     * @param requested a candidate's name, or null for the first that loads
     * @throws IllegalArgumentException     when requested names no candidate
     * @throws BackendUnavailableException when the requested one, or every one, fails to load
     */
    public static Selection select(List<Candidate> candidates, String requested) {
        List<String> attempts = new ArrayList<>();
        if (requested != null) {
            Candidate named = candidates.stream().filter(c -> c.name().equals(requested)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("-D" + PROPERTY + "=" + requested
                            + " names no GEMM provider; known: " + names(candidates)));
            GemmProvider p = tryCreate(named, attempts);
            if (p == null) {
                throw new BackendUnavailableException("GEMM provider '" + requested + "' (asked for by -D"
                        + PROPERTY + ") cannot load: " + attempts.get(0).substring(requested.length() + UNAVAILABLE.length()));
            }
            return new Selection(p, List.copyOf(attempts));
        }
        for (Candidate c : candidates) {
            GemmProvider p = tryCreate(c, attempts);
            if (p != null) {
                return new Selection(p, List.copyOf(attempts));
            }
        }
        throw new BackendUnavailableException("no GEMM provider loads: " + String.join("; ", attempts));
    }

    /** The provider, or null after adding "name: unavailable: reason" to attempts. */
    private static GemmProvider tryCreate(Candidate c, List<String> attempts) {
        try {
            GemmProvider p = c.create().get();
            if (p == null) {
                throw new IllegalStateException("its factory returned null");
            }
            attempts.add(c.name() + ": loaded");
            return p;
        } catch (Throwable t) { // UnsatisfiedLinkError and NoClassDefFoundError are the usual reasons
            attempts.add(c.name() + UNAVAILABLE + reason(t));
            return null;
        }
    }

    private static List<String> names(List<Candidate> candidates) {
        return candidates.stream().map(Candidate::name).toList();
    }

    /** The provider of that class, on stream; throws with the reason when it cannot load. */
    static GemmProvider byClassName(String className, CudaStream stream) {
        Class<?> type;
        try {
            type = Class.forName(className);
        } catch (ClassNotFoundException e) {
            throw new BackendUnavailableException(className + " is not in this build");
        }
        try {
            return (GemmProvider) type.getConstructor(CudaStream.class).newInstance(stream);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new BackendUnavailableException(reason(cause), cause);
        } catch (ReflectiveOperationException e) {
            throw new BackendUnavailableException(className + " cannot be constructed: " + e, e);
        }
    }

    /** One readable line for a load failure: the innermost message, first line only. */
    static String reason(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() != null ? root.getMessage() : t.getMessage();
        if (message == null || message.isBlank()) {
            return root.getClass().getSimpleName();
        }
        String line = message.strip().lines().findFirst().orElse(message);
        return t instanceof LinkageError || root instanceof LinkageError
                ? root.getClass().getSimpleName() + ": " + NativeLoadErrors.summarize(message) : line;
    }
}

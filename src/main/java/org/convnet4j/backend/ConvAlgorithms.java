package org.convnet4j.backend;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The convolution algorithms by name, backend-neutral, for the CLI ({@code --conv-algo}), {@code info} and the
 * system property {@value #PROPERTY}. {@value #AUTO} (the default) lets the backend time every applicable
 * deterministic algorithm once per (shapes, spec, pass, device) and keep the fastest; any other name forces
 * that algorithm wherever it applies and im2col + GEMM elsewhere (the fallback is recorded with its reason and
 * printed by {@code bench}). The CUDA backend implements every name listed here; the CPU backend has im2col +
 * GEMM only and runs it whatever is asked. Every algorithm is deterministic, but auto's choice rests on
 * timings, so two processes may choose differently: force one for bit-identical runs across processes.
 */
public final class ConvAlgorithms {
    /** System property naming the algorithm: {@value #AUTO} or one of {@link #ALGORITHMS}. */
    public static final String PROPERTY = "convnet4j.conv.algo";
    /** Time the applicable deterministic algorithms on first use and keep the fastest. */
    public static final String AUTO = "auto";
    /** The general algorithm, applicable to every convolution, and the fallback of a forced one. */
    public static final String IM2COL = "im2col";

    /** One algorithm: its name and one line on what it does and where it applies. */
    public record Algorithm(String name, String description) {
    }

    /** The registry, in the order {@code auto} tries them. */
    public static final List<Algorithm> ALGORITHMS = List.of(
            new Algorithm(IM2COL, "im2col + one GEMM per chunk of images; every shape, every pass; deterministic"),
            new Algorithm("winograd2x2", "Winograd F(2x2,3x3), non-fused, 16 transform points; 3x3 filters, stride 1,"
                    + " dilation 1; deterministic; error about 1e-6 of the largest output"),
            new Algorithm("winograd4x4", "Winograd F(4x4,3x3), non-fused, 36 transform points; 3x3 filters, stride 1,"
                    + " dilation 1; deterministic; error about 1e-5 of the largest output"),
            new Algorithm("fft", "FFT through cuFFT (needs libcufft.so.12 of CUDA 13), product over channels per"
                    + " frequency; stride 1, dilation 1, filters 3x3 and larger; deterministic"));

    private ConvAlgorithms() {
    }

    /** {@value #AUTO} and every algorithm's name, for usage messages. */
    public static String names() {
        return AUTO + ", " + ALGORITHMS.stream().map(Algorithm::name).collect(Collectors.joining(", "));
    }

    /**
     * The name, trimmed and lower-cased, when it is {@value #AUTO} or an algorithm's; null or blank gives
     * {@value #AUTO}.
     *
     * @param source where the name came from, for the error (e.g. "--conv-algo")
     * @throws IllegalArgumentException naming the known algorithms otherwise
     */
    public static String parse(String name, String source) {
        if (name == null || name.isBlank()) {
            return AUTO;
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals(AUTO) || ALGORITHMS.stream().anyMatch(a -> a.name().equals(n))) {
            return n;
        }
        throw new IllegalArgumentException(source + ": no convolution algorithm '" + name + "'; known: " + names());
    }

    /** The algorithm the system property {@value #PROPERTY} asks for ({@value #AUTO} when unset). */
    public static String requested() {
        return parse(System.getProperty(PROPERTY), "-D" + PROPERTY);
    }

    /** Sets the system property for the backends opened after this call (the CLI's {@code --conv-algo}). */
    public static void request(String name, String source) {
        System.setProperty(PROPERTY, parse(name, source));
    }
}

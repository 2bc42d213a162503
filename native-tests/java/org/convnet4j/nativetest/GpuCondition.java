package org.convnet4j.nativetest;

import java.util.concurrent.atomic.AtomicBoolean;

import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.backend.cuda.CudaBackend;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Enables the native tests only where {@code CudaBackend.open()} works. It tries once per JVM (opens and
 * closes the backend); where that fails every native test is skipped, and one line, "native tests skipped:
 * no GPU: reason", is printed once.
 *
 * <p>On a machine that must have a working GPU (the GPU CI job), {@code -Dconvnet4j.requireGpu=true} runs
 * the tests anyway, so that a broken GPU setup fails them with its reason instead of skipping them.
 */
public final class GpuCondition implements ExecutionCondition {
    /** System property: never skip; let the tests fail when the GPU backend cannot open. */
    public static final String REQUIRE_GPU = "convnet4j.requireGpu";

    private static final AtomicBoolean PRINTED = new AtomicBoolean();
    private static String probed;

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String unavailable = unavailableReason();
        if (unavailable == null) {
            return ConditionEvaluationResult.enabled("CUDA backend opens");
        }
        if (Boolean.getBoolean(REQUIRE_GPU)) {
            return ConditionEvaluationResult.enabled("-D" + REQUIRE_GPU + "=true: running although " + unavailable);
        }
        if (PRINTED.compareAndSet(false, true)) {
            System.out.println("native tests skipped: no GPU: " + unavailable);
        }
        return ConditionEvaluationResult.disabled("no GPU: " + unavailable);
    }

    /** Null when CudaBackend.open() works here, else why it does not (probed once per JVM). */
    static synchronized String unavailableReason() {
        if (probed == null) {
            try (CudaBackend backend = CudaBackend.open()) {
                System.out.println("native tests on " + backend.description());
                probed = "";
            } catch (BackendUnavailableException e) {
                probed = e.getMessage();
            } catch (LinkageError e) { // JCuda's own classes failing to link: no usable driver binding
                probed = e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            }
        }
        return probed.isEmpty() ? null : probed;
    }
}

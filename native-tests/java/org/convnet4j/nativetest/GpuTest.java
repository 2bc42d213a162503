package org.convnet4j.nativetest;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that needs a CUDA GPU: tagged "gpu" (run only these with {@code -Dgroups=gpu}, leave
 * them out with {@code -DexcludedGroups=gpu}) and skipped, with one line saying why, where
 * CudaBackend.open() fails (see {@link GpuCondition}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("gpu")
@ExtendWith(GpuCondition.class)
public @interface GpuTest {
}

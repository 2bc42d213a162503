package org.convnet4j.bench;

import org.convnet4j.backend.ConvAlgorithms;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code --conv-algo}, shared by train, eval and bench (a picocli mixin): which convolution algorithm the
 * GPU backend runs ({@link ConvAlgorithms}). It sets the system property {@value ConvAlgorithms#PROPERTY}
 * before the backend opens; the CPU backend has im2col only and ignores it.
 */
public final class ConvAlgoOption {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--conv-algo", paramLabel = "ALGO", description = "Convolution algorithm on the GPU: auto (time"
            + " the applicable ones on first use, keep the fastest) or one that `convnet4j info` lists, run where it"
            + " applies and im2col elsewhere. The CPU backend runs im2col. Default: -D" + ConvAlgorithms.PROPERTY
            + ", else auto.")
    String algorithm;

    /** Checks the option and sets the system property; an unknown name is a usage error listing the known ones. */
    public void apply() {
        if (algorithm == null) {
            return;
        }
        try {
            ConvAlgorithms.request(algorithm, "--conv-algo");
        } catch (IllegalArgumentException e) {
            throw new ParameterException(mixee.commandLine(), e.getMessage());
        }
    }
}

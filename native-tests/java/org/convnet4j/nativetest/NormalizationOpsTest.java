package org.convnet4j.nativetest;

import org.convnet4j.backend.LrnSpec;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Local response normalization and batch normalization, forward and backward: CUDA against the CPU. */
class NormalizationOpsTest extends NativeOpTest {

    @ParameterizedTest(name = "x={0} size={1} alpha={2} beta={3} k={4}")
    @CsvSource({
            "2x7x5x6,  5, 1e-4, 0.75, 2",
            "2x7x5x6,  3, 0.5,  0.75, 1",
            "1x35x4x3, 7, 1.0,  0.5,  1.5",
            "3x1x6x5,  5, 0.3,  0.75, 2",
    })
    void lrn(String dims, int size, float alpha, float beta, float k) {
        Shape s = Shapes.parse(dims);
        LrnSpec spec = new LrnSpec(size, alpha, beta, k);
        Twin x = both.uniform(s, -3, 3);
        Twin scale = both.output(s);
        Twin y = both.output(s);
        both.cpu.lrnForward(x.cpu(), spec, scale.cpu(), y.cpu());
        both.gpu.lrnForward(x.gpu(), spec, scale.gpu(), y.gpu());
        both.check("lrnForward scale, size " + size, scale, Tolerance.REDUCTION);
        both.check("lrnForward y, size " + size, y, Tolerance.TRANSCENDENTAL);

        // Backward from the CPU's forward on both sides.
        Twin sc = both.values(s, both.cpuValues(scale));
        Twin yc = both.values(s, both.cpuValues(y));
        Twin dy = both.uniform(s);
        Twin dx = both.output(s);
        both.cpu.lrnBackward(x.cpu(), yc.cpu(), sc.cpu(), dy.cpu(), spec, dx.cpu());
        both.gpu.lrnBackward(x.gpu(), yc.gpu(), sc.gpu(), dy.gpu(), spec, dx.gpu());
        both.check("lrnBackward dx, size " + size, dx, Tolerance.REDUCTION); // a sum over the window, then a difference
    }

    @ParameterizedTest(name = "x={0}")
    @CsvSource({"4x35x5x6", "16x13", "1x3x7x7", "64x6x28x28"})
    void batchNorm(String dims) {
        Shape s = Shapes.parse(dims);
        Shape c = Shape.of(s.dim(1));
        Twin x = both.uniform(s, 1, 3); // a mean far from 0 tests the variance
        Twin gamma = both.uniform(c, 0.5f, 1.5f);
        Twin beta = both.uniform(c);
        Twin runningMean = both.uniform(c);
        Twin runningVar = both.uniform(c, 0.5f, 1.5f);
        Twin saveMean = both.output(c);
        Twin saveInvStd = both.output(c);
        Twin y = both.output(s);
        both.cpu.batchNormForwardTraining(x.cpu(), gamma.cpu(), beta.cpu(), 0.1f, 1e-5f, runningMean.cpu(),
                runningVar.cpu(), saveMean.cpu(), saveInvStd.cpu(), y.cpu());
        both.gpu.batchNormForwardTraining(x.gpu(), gamma.gpu(), beta.gpu(), 0.1f, 1e-5f, runningMean.gpu(),
                runningVar.gpu(), saveMean.gpu(), saveInvStd.gpu(), y.gpu());
        both.check("batchNormForwardTraining y", y, Tolerance.REDUCTION);
        both.check("batchNormForwardTraining saveMean", saveMean, Tolerance.REDUCTION);
        both.check("batchNormForwardTraining saveInvStd", saveInvStd, Tolerance.REDUCTION);
        both.check("batchNormForwardTraining runningMean", runningMean, Tolerance.REDUCTION);
        both.check("batchNormForwardTraining runningVar", runningVar, Tolerance.REDUCTION);

        Twin yi = both.output(s);
        both.cpu.batchNormForwardInference(x.cpu(), gamma.cpu(), beta.cpu(), runningMean.cpu(), runningVar.cpu(),
                1e-5f, yi.cpu());
        // The GPU normalizes with the CPU's running statistics, so only inference itself is compared.
        Twin rm = both.values(c, both.cpuValues(runningMean));
        Twin rv = both.values(c, both.cpuValues(runningVar));
        both.gpu.batchNormForwardInference(x.gpu(), gamma.gpu(), beta.gpu(), rm.gpu(), rv.gpu(), 1e-5f, yi.gpu());
        both.check("batchNormForwardInference y", yi, Tolerance.TRANSCENDENTAL);

        Twin sm = both.values(c, both.cpuValues(saveMean));
        Twin si = both.values(c, both.cpuValues(saveInvStd));
        Twin dy = both.uniform(s);
        Twin dx = both.output(s);
        Twin dgamma = both.accumulator(c);
        Twin dbeta = both.accumulator(c);
        both.cpu.batchNormBackward(x.cpu(), dy.cpu(), gamma.cpu(), sm.cpu(), si.cpu(), dx.cpu(), dgamma.cpu(),
                dbeta.cpu());
        both.gpu.batchNormBackward(x.gpu(), dy.gpu(), gamma.gpu(), sm.gpu(), si.gpu(), dx.gpu(), dgamma.gpu(),
                dbeta.gpu());
        both.check("batchNormBackward dx", dx, Tolerance.REDUCTION);
        both.check("batchNormBackward dgamma (accumulated)", dgamma, Tolerance.REDUCTION);
        both.check("batchNormBackward dbeta (accumulated)", dbeta, Tolerance.REDUCTION);
    }
}

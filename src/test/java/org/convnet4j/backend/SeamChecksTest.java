package org.convnet4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cuda.FakeCudaBackend;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every op's bad inputs, through the CPU backend and through a CUDA backend on host fakes: both must
 * throw the same exception with the same message (up to the backend's own name), because both check
 * with {@link OpChecks}. For each op and each tensor argument: null, a tensor of another backend, a
 * closed tensor, a view of closed storage, the wrong data type and a wrong shape; then the op on a
 * closed backend, and targeted cases (ranks, non-integer output sizes, null specs, scalars, host
 * arrays) whose messages must name what is wrong. The valid call each case breaks passes on both.
 */
class SeamChecksTest {
    private static final DataType F = DataType.FLOAT32;
    private static final DataType I = DataType.INT32;

    /** A backend kind: its shared instance, a second one (for foreign tensors), and fresh ones. */
    private record Kind(String name, Supplier<Backend> open, Backend shared, Backend other) {
        Kind(String name, Supplier<Backend> open) {
            this(name, open, open.get(), open.get());
        }
    }

    private static final Kind CPU = new Kind("cpu", () -> new CpuBackend(1));
    private static final Kind CUDA = new Kind("cuda", FakeCudaBackend::open);

    @AfterAll
    static void closeBackends() {
        for (Kind k : List.of(CPU, CUDA)) {
            k.shared().close();
            k.other().close();
        }
    }

    /** One tensor argument: its name, a valid shape and type, a wrong shape (null: any shape goes). */
    private record Arg(String name, Shape shape, DataType type, boolean optional, Shape wrongShape) {
    }

    private static Arg arg(String name, DataType type, Shape shape, Shape wrong) {
        return new Arg(name, shape, type, false, wrong);
    }

    private static Arg optional(String name, Shape shape, Shape wrong) {
        return new Arg(name, shape, F, true, wrong);
    }

    /** Calls the op on b with these tensors (in the order of the args) and valid other arguments. */
    @FunctionalInterface
    private interface Call {
        void run(Backend b, Tensor[] t);
    }

    private record Op(String name, List<Arg> args, Call call) {
    }

    /** The tensors and backends one case works with; every tensor it allocates is closed afterwards. */
    private static final class Bench implements AutoCloseable {
        final Kind kind;
        final List<Tensor> allocated = new ArrayList<>();
        final List<Backend> opened = new ArrayList<>();

        Bench(Kind kind) {
            this.kind = kind;
        }

        Tensor on(Backend b, Shape s, DataType type) {
            Tensor t = b.allocate(s, type);
            allocated.add(t);
            return t;
        }

        /** The kind's shared backend. */
        Backend b() {
            return kind.shared();
        }

        Tensor t(Shape s, DataType type) {
            return on(b(), s, type);
        }

        /** A FLOAT32 tensor of these dimensions on the shared backend. */
        Tensor f(int... dims) {
            return t(Shape.of(dims), F);
        }

        /** An INT32 tensor of these dimensions on the shared backend. */
        Tensor i(int... dims) {
            return t(Shape.of(dims), I);
        }

        Tensor[] valid(Backend b, Op op) {
            Tensor[] t = new Tensor[op.args().size()];
            for (int i = 0; i < t.length; i++) {
                Arg a = op.args().get(i);
                t[i] = on(b, a.shape(), a.type());
            }
            return t;
        }

        Backend fresh() {
            Backend b = kind.open().get();
            opened.add(b);
            return b;
        }

        @Override
        public void close() {
            allocated.forEach(Tensor::close);
            opened.forEach(Backend::close);
        }
    }

    /** How a case breaks a valid call; runs it on a bench. */
    @FunctionalInterface
    private interface Breaker {
        void run(Bench bench);
    }

    /** A bad call and what it must throw on the CPU: the type and fragments of the message. */
    private record Case(String label, Breaker breaker, Class<? extends RuntimeException> type, String... fragments) {
    }

    /** What a case threw on one kind of backend (type null: nothing). */
    private record Outcome(Class<?> type, String message, String backend) {
        /** The type and the message with the backend's own name made generic, to compare across kinds. */
        String generic() {
            return (type == null ? "no exception" : type.getSimpleName()) + ": "
                    + message.replaceAll("\\b" + backend + "\\b", "<backend>");
        }
    }

    private static Outcome outcome(Kind kind, Breaker breaker) {
        try (Bench bench = new Bench(kind)) {
            breaker.run(bench);
        } catch (RuntimeException e) {
            return new Outcome(e.getClass(), String.valueOf(e.getMessage()), kind.name());
        }
        return new Outcome(null, "", kind.name());
    }

    @TestFactory
    Stream<DynamicTest> validCallsPassOnBothBackends() {
        return ops().stream().map(op -> DynamicTest.dynamicTest(op.name(), () -> {
            for (Kind kind : List.of(CPU, CUDA)) {
                try (Bench bench = new Bench(kind)) {
                    op.call().run(kind.shared(), bench.valid(kind.shared(), op));
                }
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> cpuRejectsEachBadInput() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.label(), () -> {
            Outcome cpu = outcome(CPU, c.breaker());
            if (cpu.type() != c.type()) {
                fail("expected " + c.type().getSimpleName() + ", got " + cpu);
            }
            for (String f : c.fragments()) {
                assertTrue(cpu.message().contains(f), "message \"" + cpu.message() + "\" should contain \"" + f + "\"");
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> cudaRejectsTheSameWithTheSameMessage() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.label(),
                () -> assertEquals(outcome(CPU, c.breaker()).generic(), outcome(CUDA, c.breaker()).generic())));
    }

    // ---------------------------------------------------------------- the cases

    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (Op op : ops()) {
            perArgument(op, cases);
            cases.add(new Case(op.name() + " on a closed backend", bench -> {
                Backend b = bench.fresh();
                Tensor[] t = bench.valid(b, op);
                b.close();
                op.call().run(b, t);
            }, IllegalStateException.class, op.name() + ": this cpu backend was closed"));
        }
        cases.addAll(targeted());
        return cases;
    }

    /** Each tensor argument in turn: null, foreign, closed, a view of closed storage, wrong type, wrong shape. */
    private static void perArgument(Op op, List<Case> cases) {
        String n = op.name();
        for (int i = 0; i < op.args().size(); i++) {
            int at = i;
            Arg a = op.args().get(i);
            String what = n + ": " + a.name();
            if (!a.optional()) {
                cases.add(replaced(op, at, "null", bench -> null, IllegalArgumentException.class,
                        what + " must not be null"));
            }
            cases.add(replaced(op, at, "of another backend", bench -> bench.on(bench.kind.other(), a.shape(),
                    a.type()), IllegalArgumentException.class, what + " Tensor" + a.shape(),
                    "does not belong to this cpu backend"));
            cases.add(replaced(op, at, "closed", bench -> {
                Tensor t = bench.t(a.shape(), a.type());
                t.close();
                return t;
            }, IllegalStateException.class, what + " " + a.shape() + " used after close"));
            cases.add(replaced(op, at, "a view of closed storage", bench -> {
                Tensor root = bench.t(a.shape(), a.type());
                Tensor view = root.reshape(a.shape());
                root.close();
                return view;
            }, IllegalStateException.class,
                    what + " " + a.shape() + " used after close (of the tensor it is a view of)"));
            if (!n.equals("copy") && !(n.equals("gatherRows") && !a.name().equals("order"))) {
                DataType wrong = a.type() == F ? I : F;
                cases.add(replaced(op, at, wrong.toString(), bench -> bench.t(a.shape(), wrong),
                        IllegalArgumentException.class,
                        what + " " + a.shape() + " must be " + a.type() + ", got " + wrong));
            }
            if (a.wrongShape() != null) {
                cases.add(replaced(op, at, "of shape " + a.wrongShape(), bench -> bench.t(a.wrongShape(), a.type()),
                        IllegalArgumentException.class, n + ": "));
            }
        }
    }

    @FunctionalInterface
    private interface Replacement {
        Tensor make(Bench bench);
    }

    /** The valid call of op with argument at replaced. */
    private static Case replaced(Op op, int at, String how, Replacement replacement,
                                 Class<? extends RuntimeException> type, String... fragments) {
        return new Case(op.name() + " with " + op.args().get(at).name() + " " + how, bench -> {
            Tensor[] t = bench.valid(bench.b(), op);
            t[at] = replacement.make(bench);
            op.call().run(bench.b(), t);
        }, type, fragments);
    }

    /** Bad inputs that are not a single tensor argument. */
    private static List<Case> targeted() {
        Class<IllegalArgumentException> iae = IllegalArgumentException.class;
        ConvSpec stride2 = ConvSpec.of(2, 0);
        PoolSpec pool2 = PoolSpec.of(2, 2);
        return List.of(
                new Case("allocate with a null shape", bench -> bench.b().allocate(null, F), iae,
                        "allocate: shape and data type must not be null"),
                new Case("allocate with a null data type", bench -> bench.b().allocate(Shape.of(2), null), iae,
                        "allocate: shape and data type must not be null"),
                new Case("allocate on a closed backend", bench -> {
                    Backend b = bench.fresh();
                    b.close();
                    b.allocate(Shape.of(2), F);
                }, IllegalStateException.class, "allocate: this cpu backend was closed"),
                new Case("fill of a tensor no backend made", bench -> bench.b().fill(alien(), 0f), iae,
                        "fill: t Tensor[2] FLOAT32 on alien does not belong to this cpu backend"),
                new Case("synchronize on a closed backend", bench -> {
                    Backend b = bench.fresh();
                    b.close();
                    b.synchronize();
                }, IllegalStateException.class, "synchronize: this cpu backend was closed"),
                new Case("upload of a host array of the wrong length", bench -> bench.b().upload(new float[5],
                        bench.f(2, 3)), iae,
                        "upload: host array of 5 elements does not match tensor [2, 3] of 6 elements"),
                new Case("upload of a null int array", bench -> bench.b().upload((int[]) null,
                        bench.i(2, 3)), iae, "upload: host array of null does not match tensor [2, 3]"),
                new Case("download into a host array of the wrong length", bench -> bench.b().download(
                        bench.f(2, 3), new float[7]), iae, "download: host array of 7 elements"),
                new Case("download into a null int array", bench -> bench.b().download(
                        bench.i(2, 3), (int[]) null), iae, "download: host array of null"),
                new Case("copy between data types", bench -> bench.b().copy(bench.f(6),
                        bench.i(2, 3)), iae, "copy: src [6] FLOAT32 and dst [2, 3] INT32 must have the same"
                        + " size and data type"),
                new Case("gemm of rank 3", bench -> bench.b().gemm(bench.f(1, 2, 3), false,
                        bench.f(3, 4), false, bench.f(2, 4), 1f, 0f), iae,
                        "gemm: a must have rank 2, got [1, 2, 3]"),
                new Case("gemm with inner sizes that differ", bench -> bench.b().gemm(bench.f(2, 3),
                        true, bench.f(3, 4), false, bench.f(3, 4), 1f, 0f), iae,
                        "gemm: op(a) (a transposed) is [3, 2] from a [2, 3]", "so c must be [3, 4]"),
                new Case("linearForward with w of rank 3", bench -> bench.b().linearForward(
                        bench.f(2, 3), bench.f(4, 3, 1), null, bench.f(2, 4)), iae,
                        "linearForward: w must have rank 2, got [4, 3, 1]"),
                new Case("linearForward with x of rank 1", bench -> bench.b().linearForward(
                        bench.f(3), bench.f(4, 3), null, bench.f(1, 4)), iae,
                        "linearForward: x must have rank >= 2, got [3]"),
                new Case("linearForward with features that differ", bench -> bench.b().linearForward(
                        bench.f(2, 5), bench.f(4, 3), null, bench.f(2, 4)), iae,
                        "linearForward: x [2, 5] has 5 features per item but w [4, 3] expects 3"),
                new Case("addBias on rank 1", bench -> bench.b().addBias(bench.f(3),
                        bench.f(3)), iae, "addBias: y must have rank >= 2, got [3]"),
                new Case("conv2dForward with x of rank 3", bench -> bench.b().conv2dForward(
                        bench.f(2, 5, 5), bench.f(4, 2, 3, 3), null, ConvSpec.of(1, 0),
                        bench.f(2, 4, 3, 3)), iae, "conv2dForward: input must be NCHW (rank 4), got [2, 5, 5]"),
                new Case("conv2dForward with channels that differ", bench -> bench.b().conv2dForward(
                        bench.f(2, 3, 5, 5), bench.f(4, 2, 3, 3), null, ConvSpec.of(1, 0),
                        bench.f(2, 4, 3, 3)), iae,
                        "conv2dForward: input [2, 3, 5, 5] has 3 channels but weights [4, 2, 3, 3] expect 2"),
                new Case("conv2dForward with a non-integer output size", bench -> bench.b().conv2dForward(
                        bench.f(1, 1, 6, 6), bench.f(1, 1, 3, 3), null, stride2,
                        bench.f(1, 1, 2, 2)), iae, "conv2dForward height: output size",
                        "(H + 2P - D*(FH-1) - 1)/S + 1 = (6 + 2*0 - 1*(3-1) - 1)/2 + 1 = 2.5 is not a whole number"),
                new Case("conv2dBackwardData with a non-integer output size", bench -> bench.b()
                        .conv2dBackwardData(bench.f(1, 1, 2, 2), bench.f(1, 1, 3, 3), stride2,
                                bench.f(1, 1, 6, 6)), iae, "conv2dBackwardData height", "not a whole number"),
                new Case("conv2dBackwardFilter with a non-integer output size", bench -> bench.b()
                        .conv2dBackwardFilter(bench.f(1, 1, 6, 6), bench.f(1, 1, 2, 2), stride2,
                                bench.f(1, 1, 3, 3), null), iae, "conv2dBackwardFilter height",
                        "not a whole number"),
                new Case("conv2dForward with a window larger than the input", bench -> bench.b()
                        .conv2dForward(bench.f(1, 1, 2, 2), bench.f(1, 1, 3, 3), null,
                                ConvSpec.of(1, 0), bench.f(1, 1, 1, 1)), iae,
                        "conv2dForward height: the window (3 after dilation) is larger than the padded input (2)"),
                new Case("conv2dForward with a null spec", bench -> bench.b().conv2dForward(
                        bench.f(1, 1, 5, 5), bench.f(2, 1, 3, 3), null, null,
                        bench.f(1, 2, 3, 3)), iae, "conv2dForward: spec must not be null"),
                new Case("maxPoolForward with a non-integer output size", bench -> bench.b().maxPoolForward(
                        bench.f(1, 1, 5, 5), pool2, bench.f(1, 1, 2, 2),
                        bench.i(1, 1, 2, 2)), iae, "maxPoolForward height",
                        "(5 + 2*0 - 1*(2-1) - 1)/2 + 1", "not a whole number"),
                new Case("avgPoolBackward with dx of rank 3", bench -> bench.b().avgPoolBackward(
                        bench.f(1, 2, 2), pool2, bench.f(1, 4, 4)), iae,
                        "avgPoolBackward: input must be NCHW (rank 4), got [1, 4, 4]"),
                new Case("avgPoolForward with a null spec", bench -> bench.b().avgPoolForward(
                        bench.f(1, 1, 4, 4), null, bench.f(1, 1, 2, 2)), iae,
                        "avgPoolForward: spec must not be null"),
                new Case("globalAvgPoolForward with x of rank 2", bench -> bench.b().globalAvgPoolForward(
                        bench.f(2, 3), bench.f(2, 3, 1, 1)), iae,
                        "globalAvgPoolForward: x must have rank 4, got [2, 3]"),
                new Case("globalAvgPoolBackward with dy of the planes' shape", bench -> bench.b()
                        .globalAvgPoolBackward(bench.f(1, 2, 3, 3), bench.f(1, 2, 3, 3)), iae,
                        "globalAvgPoolBackward: dy must be [1, 2, 1, 1], got [1, 2, 3, 3]"),
                new Case("add with b of another shape of the same size", bench -> bench.b().add(bench.f(2, 3),
                        bench.f(3, 2), bench.f(2, 3)), iae, "add: b must be [2, 3], got [3, 2]"),
                new Case("copyChannels past the end of src", bench -> bench.b().copyChannels(bench.f(2, 3, 2, 2),
                        2, bench.f(2, 5, 2, 2), 0, 2), iae,
                        "copyChannels: channels [2, 2 + 2) of src [2, 3, 2, 2] into [0, 0 + 2) of dst [2, 5, 2, 2]",
                        "inside their tensor"),
                new Case("copyChannels of no channel", bench -> bench.b().copyChannels(bench.f(2, 3),
                        0, bench.f(2, 5), 0, 0), iae, "both ranges must be non-empty"),
                new Case("copyChannels between items of other sizes", bench -> bench.b().copyChannels(
                        bench.f(2, 3, 2, 2), 0, bench.f(2, 3, 2, 3), 0, 1), iae,
                        "copyChannels: src [2, 3, 2, 2] and dst [2, 3, 2, 3] must differ only in their channels"),
                new Case("activationForward with a null activation", bench -> bench.b().activationForward(
                        null, bench.f(2, 3), bench.f(2, 3)), iae,
                        "activationForward: activation must not be null"),
                new Case("activationForward with y of another shape of the same size", bench -> bench.b()
                        .activationForward(Activation.RELU, bench.f(2, 3), bench.f(3, 2)), iae,
                        "activationForward: y must be [2, 3], got [3, 2]"),
                new Case("softmaxCrossEntropyForward with logits of rank 1", bench -> bench.b()
                        .softmaxCrossEntropyForward(bench.f(3), bench.i(3),
                                bench.f(3), bench.f(1)), iae,
                        "softmaxCrossEntropyForward: logits must have rank >= 2, got [3]"),
                new Case("softmaxCrossEntropyBackward with a label per row missing", bench -> bench.b()
                        .softmaxCrossEntropyBackward(bench.f(4, 10), bench.i(3),
                                bench.f(4, 10)), iae, "softmaxCrossEntropyBackward: labels must be [4], got [3]"),
                new Case("argmax of rank 1", bench -> bench.b().argmax(bench.f(3),
                        bench.i(1)), iae, "argmax: x must have rank >= 2, got [3]"),
                new Case("gatherRows past the end of the order", bench -> bench.b().gatherRows(bench.f(5, 3),
                        bench.i(5), 4, bench.f(2, 3)), iae,
                        "gatherRows: rows 4 .. 5 of the order are asked for; it has 5"),
                new Case("gatherRows from INT32 into FLOAT32", bench -> bench.b().gatherRows(bench.i(5, 3),
                        bench.i(5), 0, bench.f(2, 3)), iae, "gatherRows: expected src [N, ...], dst [B, ...] with"
                        + " the same row shape and type, order INT32 [M]; got src INT32 [5, 3], dst FLOAT32 [2, 3]"),
                new Case("tallyBatch with count over the batch", bench -> bench.b().tallyBatch(bench.i(4),
                        bench.i(4), 5, null, bench.f(3, 2), 0), iae, "tallyBatch: count must lie in [0, 4]"),
                new Case("tallyBatch with a slot past the table", bench -> bench.b().tallyBatch(bench.i(4),
                        bench.i(4), 4, null, bench.f(3, 2), 3), iae, "tallyBatch: slot must lie in [0, 3), got 3"),
                new Case("tallyBatch with tallies of three columns", bench -> bench.b().tallyBatch(bench.i(4),
                        bench.i(4), 4, null, bench.f(3, 3), 0), iae, "tallyBatch: tallies must be [S, 2]"),
                new Case("dropoutForward with p = 1", bench -> bench.b().dropoutForward(bench.f(4),
                        1f, 1L, bench.f(4), bench.f(4)), iae,
                        "dropoutForward: drop probability p must be in [0, 1), got 1.0"),
                new Case("dropoutForward with p = NaN", bench -> bench.b().dropoutForward(
                        bench.f(4), Float.NaN, 1L, bench.f(4), bench.f(4)), iae,
                        "got NaN"),
                new Case("lrnForward on rank 2", bench -> bench.b().lrnForward(bench.f(2, 3),
                        LrnSpec.alexNet(), bench.f(2, 3), bench.f(2, 3)), iae,
                        "lrnForward: x must have rank 4, got [2, 3]"),
                new Case("lrnBackward with a null spec", bench -> bench.b().lrnBackward(
                        bench.f(1, 3, 2, 2), bench.f(1, 3, 2, 2), bench.f(1, 3, 2, 2),
                        bench.f(1, 3, 2, 2), null, bench.f(1, 3, 2, 2)), iae,
                        "lrnBackward: spec must not be null"),
                new Case("batchNormForwardInference on rank 3", bench -> {
                    Backend b = bench.b();
                    b.batchNormForwardInference(bench.f(2, 3, 4), bench.f(3),
                            bench.f(3), bench.f(3), bench.f(3), 1e-5f,
                            bench.f(2, 3, 4));
                }, iae, "batchNormForwardInference: x must be [N, C, H, W] or [N, C], got [2, 3, 4]"),
                new Case("batchNormForwardInference with eps = 0", bench -> {
                    Backend b = bench.b();
                    b.batchNormForwardInference(bench.f(2, 3), bench.f(3),
                            bench.f(3), bench.f(3), bench.f(3), 0f,
                            bench.f(2, 3));
                }, iae, "batchNormForwardInference: eps must be > 0, got 0.0"),
                new Case("batchNormForwardTraining with one value per channel", bench -> {
                    Backend b = bench.b();
                    Tensor[] c = new Tensor[6];
                    for (int i = 0; i < c.length; i++) {
                        c[i] = bench.f(3);
                    }
                    b.batchNormForwardTraining(bench.f(1, 3), c[0], c[1], 0.1f, 1e-5f, c[2], c[3], c[4],
                            c[5], bench.f(1, 3));
                }, iae, "batchNormForwardTraining: x [1, 3] has 1 value per channel"),
                new Case("adamUpdate at step 0", bench -> bench.b().adamUpdate(bench.f(3),
                        bench.f(3), bench.f(3), bench.f(3), 1e-3f, 0.9f, 0.999f,
                        1e-8f, 0f, 0), iae, "adamUpdate: step starts at 1, got 0"),
                new Case("sgdUpdate with grad of another shape of the same size", bench -> bench.b().sgdUpdate(
                        bench.f(2, 3), bench.f(6), 0.1f, 0f), iae,
                        "sgdUpdate: grad [6] must have the shape of param [2, 3]"));
    }

    // ---------------------------------------------------------------- every op, with valid arguments

    private static Shape s(int... dims) {
        return Shape.of(dims);
    }

    private static List<Op> ops() {
        ConvSpec conv = ConvSpec.of(1, 0);
        PoolSpec pool = PoolSpec.of(2, 2);
        LrnSpec lrn = LrnSpec.alexNet();
        Arg param = arg("param", F, s(2, 3), s(3, 2));
        Arg grad = arg("grad", F, s(2, 3), s(3, 2));
        Arg poolX = arg("x", F, s(1, 2, 4, 4), s(1, 2, 4, 6));
        Arg poolY = arg("y", F, s(1, 2, 2, 2), s(1, 2, 3, 3));
        Arg switches = arg("switches", I, s(1, 2, 2, 2), s(1, 2, 3, 3));
        Arg lrnX = arg("x", F, s(1, 3, 2, 2), s(1, 3, 2, 3));
        Arg bnX = arg("x", F, s(2, 3, 2, 2), s(2, 4, 2, 2));
        return List.of(
                new Op("upload", List.of(arg("dst", F, s(2, 3), s(2, 4))), (b, t) -> b.upload(new float[6], t[0])),
                new Op("upload", List.of(arg("dst", I, s(2, 3), s(2, 4))), (b, t) -> b.upload(new int[6], t[0])),
                new Op("download", List.of(arg("src", F, s(2, 3), s(2, 4))), (b, t) -> b.download(t[0], new float[6])),
                new Op("download", List.of(arg("src", I, s(2, 3), s(2, 4))), (b, t) -> b.download(t[0], new int[6])),
                new Op("downloadLater", List.of(arg("src", F, s(2, 3), null)), (b, t) -> b.downloadLater(t[0]).get()),
                new Op("fill", List.of(arg("t", F, s(2, 3), null)), (b, t) -> b.fill(t[0], 1f)),
                new Op("copy", List.of(arg("src", F, s(2, 3), s(2, 4)), arg("dst", F, s(2, 3), s(2, 4))),
                        (b, t) -> b.copy(t[0], t[1])),
                new Op("gatherRows", List.of(arg("src", F, s(5, 3), s(5, 4)), arg("order", I, s(5), null),
                        arg("dst", F, s(2, 3), s(2, 4))), (b, t) -> b.gatherRows(t[0], t[1], 3, t[2])),
                new Op("gemm", List.of(arg("a", F, s(2, 3), s(2, 4)), arg("b", F, s(3, 4), s(3, 5)),
                        arg("c", F, s(2, 4), s(2, 5))), (b, t) -> b.gemm(t[0], false, t[1], false, t[2], 1f, 0f)),
                new Op("linearForward", List.of(arg("x", F, s(2, 3), s(2, 5)), arg("w", F, s(4, 3), s(4, 5)),
                        optional("bias", s(4), s(5)), arg("y", F, s(2, 4), s(2, 5))),
                        (b, t) -> b.linearForward(t[0], t[1], t[2], t[3])),
                new Op("linearBackward", List.of(arg("x", F, s(2, 3), s(2, 5)), arg("w", F, s(4, 3), s(4, 5)),
                        arg("dy", F, s(2, 4), s(2, 5)), optional("dx", s(2, 3), s(3, 2)),
                        arg("dw", F, s(4, 3), s(3, 4)), optional("dbias", s(4), s(5))),
                        (b, t) -> b.linearBackward(t[0], t[1], t[2], t[3], t[4], t[5])),
                new Op("addBias", List.of(arg("y", F, s(2, 3, 2, 2), s(2, 4, 2, 2)), arg("bias", F, s(3), s(4))),
                        (b, t) -> b.addBias(t[0], t[1])),
                new Op("biasGradient", List.of(arg("dy", F, s(2, 3, 2, 2), s(2, 4, 2, 2)), arg("dbias", F, s(3), s(4))),
                        (b, t) -> b.biasGradient(t[0], t[1])),
                new Op("conv2dForward", List.of(arg("x", F, s(1, 1, 5, 5), s(1, 2, 5, 5)),
                        arg("w", F, s(2, 1, 3, 3), s(2, 2, 3, 3)), optional("bias", s(2), s(3)),
                        arg("y", F, s(1, 2, 3, 3), s(1, 2, 4, 4))),
                        (b, t) -> b.conv2dForward(t[0], t[1], t[2], conv, t[3])),
                new Op("conv2dBackwardData", List.of(arg("dy", F, s(1, 2, 3, 3), s(1, 2, 4, 4)),
                        arg("w", F, s(2, 1, 3, 3), s(2, 2, 3, 3)), arg("dx", F, s(1, 1, 5, 5), s(1, 2, 5, 5))),
                        (b, t) -> b.conv2dBackwardData(t[0], t[1], conv, t[2])),
                new Op("conv2dBackwardFilter", List.of(arg("x", F, s(1, 1, 5, 5), s(1, 2, 5, 5)),
                        arg("dy", F, s(1, 2, 3, 3), s(1, 2, 4, 4)), arg("dw", F, s(2, 1, 3, 3), s(2, 2, 3, 3)),
                        optional("dbias", s(2), s(3))), (b, t) -> b.conv2dBackwardFilter(t[0], t[1], conv, t[2], t[3])),
                new Op("maxPoolForward", List.of(poolX, poolY, switches),
                        (b, t) -> b.maxPoolForward(t[0], pool, t[1], t[2])),
                new Op("maxPoolBackward", List.of(arg("dy", F, s(1, 2, 2, 2), s(1, 2, 3, 3)), switches,
                        arg("dx", F, s(1, 2, 4, 4), s(1, 2, 4, 6))),
                        (b, t) -> b.maxPoolBackward(t[0], t[1], pool, t[2])),
                new Op("avgPoolForward", List.of(poolX, poolY), (b, t) -> b.avgPoolForward(t[0], pool, t[1])),
                new Op("avgPoolBackward", List.of(arg("dy", F, s(1, 2, 2, 2), s(1, 2, 3, 3)),
                        arg("dx", F, s(1, 2, 4, 4), s(1, 2, 4, 6))), (b, t) -> b.avgPoolBackward(t[0], pool, t[1])),
                new Op("globalAvgPoolForward", List.of(arg("x", F, s(2, 3, 4, 4), s(2, 4, 4, 4)),
                        arg("y", F, s(2, 3, 1, 1), s(2, 3, 2, 2))), (b, t) -> b.globalAvgPoolForward(t[0], t[1])),
                new Op("globalAvgPoolBackward", List.of(arg("dy", F, s(2, 3, 1, 1), s(2, 3)),
                        arg("dx", F, s(2, 3, 4, 4), s(2, 4, 4, 4))), (b, t) -> b.globalAvgPoolBackward(t[0], t[1])),
                new Op("add", List.of(arg("a", F, s(2, 3, 2, 2), s(2, 3, 2, 3)), arg("b", F, s(2, 3, 2, 2), s(2, 3, 4)),
                        arg("y", F, s(2, 3, 2, 2), s(2, 12))), (b, t) -> b.add(t[0], t[1], t[2])),
                new Op("copyChannels", List.of(arg("src", F, s(2, 3, 2, 2), s(2, 3, 2, 3)),
                        arg("dst", F, s(2, 5, 2, 2), s(3, 5, 2, 2))), (b, t) -> b.copyChannels(t[0], 1, t[1], 2, 2)),
                new Op("activationForward", List.of(arg("x", F, s(2, 3), s(2, 4)), arg("y", F, s(2, 3), s(3, 2))),
                        (b, t) -> b.activationForward(Activation.RELU, t[0], t[1])),
                new Op("activationBackward", List.of(arg("y", F, s(2, 3), s(2, 4)), arg("dy", F, s(2, 3), s(3, 2)),
                        arg("dx", F, s(2, 3), s(3, 2))),
                        (b, t) -> b.activationBackward(Activation.TANH, t[0], t[1], t[2])),
                new Op("softmaxCrossEntropyForward", List.of(arg("logits", F, s(2, 3), s(3, 3)),
                        arg("labels", I, s(2), s(3)), arg("probs", F, s(2, 3), s(2, 4)), arg("loss", F, s(1), s(2))),
                        (b, t) -> b.softmaxCrossEntropyForward(t[0], t[1], t[2], t[3])),
                new Op("softmaxCrossEntropyBackward", List.of(arg("probs", F, s(2, 3), s(3, 3)),
                        arg("labels", I, s(2), s(3)), arg("dlogits", F, s(2, 3), s(2, 4))),
                        (b, t) -> b.softmaxCrossEntropyBackward(t[0], t[1], t[2])),
                new Op("argmax", List.of(arg("x", F, s(2, 3), s(3, 3)), arg("out", I, s(2), s(3))),
                        (b, t) -> b.argmax(t[0], t[1])),
                new Op("tallyBatch", List.of(arg("predictions", I, s(4), s(4, 1)), arg("labels", I, s(4), s(3)),
                        optional("loss", s(1), s(2)), arg("tallies", F, s(3, 2), s(3, 1))),
                        (b, t) -> b.tallyBatch(t[0], t[1], 4, t[2], t[3], 2)),
                new Op("dropoutForward", List.of(arg("x", F, s(2, 3), s(2, 4)), arg("mask", F, s(2, 3), s(3, 2)),
                        arg("y", F, s(2, 3), s(3, 2))), (b, t) -> b.dropoutForward(t[0], 0.5f, 7L, t[1], t[2])),
                new Op("dropoutBackward", List.of(arg("dy", F, s(2, 3), s(2, 4)), arg("mask", F, s(2, 3), s(3, 2)),
                        arg("dx", F, s(2, 3), s(3, 2))), (b, t) -> b.dropoutBackward(t[0], t[1], t[2])),
                new Op("lrnForward", List.of(lrnX, arg("scale", F, s(1, 3, 2, 2), s(1, 3, 2, 3)),
                        arg("y", F, s(1, 3, 2, 2), s(1, 3, 2, 3))), (b, t) -> b.lrnForward(t[0], lrn, t[1], t[2])),
                new Op("lrnBackward", List.of(lrnX, arg("y", F, s(1, 3, 2, 2), s(1, 3, 2, 3)),
                        arg("scale", F, s(1, 3, 2, 2), s(1, 3, 2, 3)), arg("dy", F, s(1, 3, 2, 2), s(1, 3, 2, 3)),
                        arg("dx", F, s(1, 3, 2, 2), s(1, 3, 2, 3))),
                        (b, t) -> b.lrnBackward(t[0], t[1], t[2], t[3], lrn, t[4])),
                new Op("batchNormForwardTraining", List.of(bnX, perChannel("gamma"), perChannel("beta"),
                        perChannel("runningMean"), perChannel("runningVar"), perChannel("saveMean"),
                        perChannel("saveInvStd"), arg("y", F, s(2, 3, 2, 2), s(2, 3, 2, 3))),
                        (b, t) -> b.batchNormForwardTraining(t[0], t[1], t[2], 0.1f, 1e-5f, t[3], t[4], t[5], t[6],
                                t[7])),
                new Op("batchNormForwardInference", List.of(bnX, perChannel("gamma"), perChannel("beta"),
                        perChannel("runningMean"), perChannel("runningVar"), arg("y", F, s(2, 3, 2, 2), s(2, 3, 2, 3))),
                        (b, t) -> b.batchNormForwardInference(t[0], t[1], t[2], t[3], t[4], 1e-5f, t[5])),
                new Op("batchNormBackward", List.of(bnX, arg("dy", F, s(2, 3, 2, 2), s(2, 3, 2, 3)),
                        perChannel("gamma"), perChannel("saveMean"), perChannel("saveInvStd"),
                        arg("dx", F, s(2, 3, 2, 2), s(2, 3, 2, 3)), perChannel("dgamma"), perChannel("dbeta")),
                        (b, t) -> b.batchNormBackward(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7])),
                new Op("sgdUpdate", List.of(param, grad), (b, t) -> b.sgdUpdate(t[0], t[1], 0.1f, 1e-4f)),
                new Op("momentumUpdate", List.of(param, grad, arg("velocity", F, s(2, 3), s(3, 2))),
                        (b, t) -> b.momentumUpdate(t[0], t[1], t[2], 0.1f, 0.9f, 0f, true)),
                new Op("adagradUpdate", List.of(param, grad, arg("sumSquares", F, s(2, 3), s(3, 2))),
                        (b, t) -> b.adagradUpdate(t[0], t[1], t[2], 0.1f, 1e-8f, 0f)),
                new Op("rmspropUpdate", List.of(param, grad, arg("meanSquare", F, s(2, 3), s(3, 2))),
                        (b, t) -> b.rmspropUpdate(t[0], t[1], t[2], 0.1f, 0.9f, 1e-8f, 0f)),
                new Op("adamUpdate", List.of(param, grad, arg("m", F, s(2, 3), s(3, 2)), arg("v", F, s(2, 3), s(3, 2))),
                        (b, t) -> b.adamUpdate(t[0], t[1], t[2], t[3], 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1)));
    }

    /** A tensor of a backend that does not exist. */
    private static Tensor alien() {
        return new Tensor(Shape.of(2), F) {
            @Override
            public String backendName() {
                return "alien";
            }

            @Override
            public Tensor reshape(Shape newShape) {
                return this;
            }

            @Override
            protected void release() {
            }
        };
    }

    private static Arg perChannel(String name) {
        return arg(name, F, s(3), s(4));
    }
}

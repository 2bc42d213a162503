package org.convnet4j.backend.cuda;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.convnet4j.backend.PendingDownload;

/**
 * Host stand-ins for the device, so CudaBackend's shape checks, launches, workspaces and pool use can be
 * tested without a GPU: an allocator handing out fake addresses, DeviceOps that do nothing but keep the
 * books of a stream capture (and refuse what a capture refuses), and a KernelRunner that checks every
 * launch against the kernel's parameters in kernels/*.cu and that every pointer argument (and every matrix
 * a GEMM touches) lies inside a live allocation, and records each launch with its stream.
 */
final class HostFakes {
    private HostFakes() {
    }

    /** Fake device memory: addresses from 1 GiB up, 256-byte aligned, a limit to simulate running out. */
    static final class Allocator implements DevicePool.Allocator {
        final TreeMap<Long, Long> live = new TreeMap<>();
        long next = 1L << 30;
        long limit = Long.MAX_VALUE;
        long used;
        int allocateCalls;
        int freeCalls;
        /** The device whose capture state allocations are checked against (null: none). */
        Device device;

        @Override
        public long allocate(long bytes) {
            allocateCalls++;
            if (device != null && device.capturing) {
                throw new AssertionError("cuMemAlloc of " + bytes + " bytes during a stream capture");
            }
            if (used + bytes > limit) {
                return 0;
            }
            long address = next;
            next += (bytes + 255) / 256 * 256 + 256;
            live.put(address, bytes);
            used += bytes;
            return address;
        }

        @Override
        public void free(long address) {
            freeCalls++;
            Long bytes = live.remove(address);
            if (bytes == null) {
                throw new IllegalStateException("free of an unknown address " + address);
            }
            used -= bytes;
        }

        @Override
        public long freeBytes() {
            return limit == Long.MAX_VALUE ? 1L << 40 : limit - used;
        }

        /** Bytes from address to the end of its allocation; fails when address is in none. */
        long bytesFrom(long address, String what) {
            Map.Entry<Long, Long> e = live.floorEntry(address);
            if (e == null || address >= e.getKey() + e.getValue()) {
                throw new AssertionError(what + ": address " + address + " is in no live allocation");
            }
            return e.getKey() + e.getValue() - address;
        }
    }

    /** A fill of 32-bit words: its address, bits, count, and whether a capture was in progress. */
    record Fill(long address, int value, int words, boolean captured) {
    }

    /**
     * DeviceOps that compute nothing (downloads leave the host array as it is) on a made-up stream, keeping
     * the books of stream capture as the driver would refuse: a synchronization, an upload or a download
     * while capturing fails; {@link #failNextCapture} makes the next endCapture fail like an invalidated
     * capture. A card of 132 SMs unless a test sets {@link #multiprocessors}.
     */
    static final class Device implements DeviceOps {
        static final long STREAM_HANDLE = 0x57AE4D0L;

        final CudaStream stream;
        final int ordinal;
        final List<Fill> fills = new ArrayList<>();
        int synchronizations;
        /** Downloads that wait for the stream, and downloads started without waiting. */
        int downloads;
        int laterDownloads;
        int copies;
        int captures;
        int graphLaunches;
        int graphsClosed;
        boolean capturing;
        String failNextCapture;
        int multiprocessors = 132;

        Device() {
            this(0, STREAM_HANDLE);
        }

        /** Device number ordinal, whose stream has the made-up handle streamHandle. */
        Device(int ordinal, long streamHandle) {
            this.ordinal = ordinal;
            this.stream = CudaStream.fake(streamHandle);
        }

        @Override
        public int ordinal() {
            return ordinal;
        }

        @Override
        public int multiprocessorCount() {
            return multiprocessors;
        }

        @Override
        public void makeCurrent() {
        }

        @Override
        public CudaStream stream() {
            return stream;
        }

        @Override
        public void set32(long address, int value, int words) {
            fills.add(new Fill(address, value, words, capturing));
        }

        @Override
        public void upload(float[] src, long address) {
            refuseInCapture("upload");
        }

        @Override
        public void upload(int[] src, long address) {
            refuseInCapture("upload");
        }

        @Override
        public void download(long address, float[] dst) {
            refuseInCapture("download");
            downloads++;
        }

        @Override
        public void download(long address, int[] dst) {
            refuseInCapture("download");
            downloads++;
        }

        /** Zeros, as nothing was computed. */
        @Override
        public PendingDownload downloadLater(long address, int floats) {
            refuseInCapture("download");
            laterDownloads++;
            float[] zeros = new float[floats];
            return () -> zeros;
        }

        @Override
        public void copy(long src, long dst, long bytes) {
            copies++;
        }

        @Override
        public void synchronize() {
            refuseInCapture("synchronize");
            synchronizations++;
        }

        @Override
        public void beginCapture() {
            if (capturing) {
                throw new AssertionError("cuStreamBeginCapture on a stream that is capturing");
            }
            capturing = true;
        }

        @Override
        public Graph endCapture() {
            if (!capturing) {
                throw new AssertionError("cuStreamEndCapture on a stream that is not capturing");
            }
            capturing = false;
            if (failNextCapture != null) {
                String why = failNextCapture;
                failNextCapture = null;
                throw new IllegalStateException(why);
            }
            captures++;
            return new Graph() {
                private boolean closed;

                @Override
                public void launch() {
                    if (closed) {
                        throw new AssertionError("cuGraphLaunch of a destroyed graph");
                    }
                    graphLaunches++;
                }

                @Override
                public void close() {
                    closed = true;
                    graphsClosed++;
                }
            };
        }

        private void refuseInCapture(String what) {
            if (capturing) {
                throw new AssertionError(what + " during a stream capture (the driver would invalidate it)");
            }
        }

        @Override
        public String describe() {
            return "host fake device";
        }
    }

    /** One recorded launch, with its stream and whether the stream was being captured. */
    record Launch(String kernel, CudaStream stream, int gridX, int gridY, int gridZ, int blockX, Object[] args,
                  boolean captured) {
    }

    /** Checks each launch against kernels/*.cu and the fake memory, and records it. */
    static final class CheckingRunner implements KernelRunner {
        /** Kernels whose fixed-size shared-memory trees or tiles need exactly 256 threads per block. */
        private static final List<String> NEED_256 = List.of("bias_grad_f32", "row_sum_slices_f32",
                "softmax_xent_rows_f32", "mean_f32", "batchnorm_forward_training_f32", "batchnorm_backward_f32",
                "sgemm_tiled", "sgemm_naive", "fft_product_f32");

        final Map<String, List<String>> signatures = KernelSignatures.read();
        final Map<String, String> kernelFiles = KernelSignatures.files();
        final Allocator memory;
        final List<Launch> launches = new ArrayList<>();

        CheckingRunner(Allocator memory) {
            this.memory = memory;
        }

        @Override
        public void launch(String kernel, CudaStream stream, int gridX, int gridY, int gridZ, int blockX,
                           int sharedBytes, Object[] args) {
            List<String> kinds = signatures.get(kernel);
            if (kinds == null) {
                throw new AssertionError("kernel " + kernel + " is not defined in kernels/*.cu");
            }
            if (kinds.size() != args.length) {
                throw new AssertionError(kernel + " takes " + kinds.size() + " parameters " + kinds + ", launched with "
                        + args.length);
            }
            for (int i = 0; i < args.length; i++) {
                String got = kindOf(args[i]);
                boolean ok = got.equals(kinds.get(i)) || (got.equals("i64|ptr") && !kinds.get(i).startsWith("i32")
                        && !kinds.get(i).equals("f32"));
                if (!ok) {
                    throw new AssertionError(kernel + " parameter " + i + " is " + kinds.get(i) + " but got " + got
                            + " (" + args[i] + ")");
                }
                // a null pointer (0L) is allowed where the kernel documents an optional input (a bias)
                if (kinds.get(i).equals("ptr") && !(args[i] instanceof Long l && l == 0L)) {
                    memory.bytesFrom(address(args[i]), kernel + " parameter " + i);
                }
            }
            if (gridX < 1 || gridY < 1 || gridY > 65535 || gridZ < 1 || gridZ > 65535 || blockX < 1 || blockX > 1024) {
                throw new AssertionError(kernel + ": bad launch geometry grid " + gridX + "x" + gridY + "x" + gridZ
                        + " block " + blockX);
            }
            if (NEED_256.contains(kernel) && blockX != 256) {
                throw new AssertionError(kernel + " needs 256-thread blocks, got " + blockX);
            }
            if (kernel.startsWith("sgemm_")) {
                checkGemmExtents(kernel, gridZ, args);
            }
            checkFamily(kernel);
            boolean captured = memory.device != null && memory.device.capturing;
            launches.add(new Launch(kernel, stream, gridX, gridY, gridZ, blockX, args.clone(), captured));
        }

        /**
         * A family class launches only the kernels of its own file: Cuda&lt;Family&gt; those of
         * kernels/&lt;family&gt;.cu (CudaSoftmaxLoss: softmax_loss.cu), and the kernel GEMM provider those of
         * dense.cu. Launches from elsewhere (tests, the GEMM variants of the benchmarks) are not checked.
         */
        private void checkFamily(String kernel) {
            String file = kernelFiles.get(kernel) + ".cu";
            String caller = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).walk(frames -> frames
                    .map(f -> f.getDeclaringClass())
                    .filter(c -> c.getPackage() == KernelLauncher.class.getPackage())
                    .filter(c -> c != KernelLauncher.class && c.getEnclosingClass() != HostFakes.class)
                    .map(Class::getSimpleName).findFirst().orElse(""));
            if (caller.equals("CudaBackend")) {
                throw new AssertionError("CudaBackend launched " + kernel + " itself: it delegates to the family class"
                        + " of kernels/" + file);
            }
            String expected = caller.equals("KernelGemmProvider") ? "dense.cu"
                    : caller.matches("Cuda[A-Z]\\w*") ? snake(caller.substring(4)) + ".cu" : null;
            if (expected != null && Files.isRegularFile(KernelSignatures.kernelsDir().resolve(expected))
                    && !expected.equals(file)) {
                throw new AssertionError(caller + " launched " + kernel + " of kernels/" + file
                        + ": a family class launches only the kernels of its own file, kernels/" + expected);
            }
        }

        /** SoftmaxLoss -> softmax_loss. */
        private static String snake(String camel) {
            return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
        }

        /** Every matrix of every batch item lies inside its allocation. */
        private void checkGemmExtents(String kernel, int batch, Object[] a) {
            boolean transA = (Integer) a[0] != 0;
            boolean transB = (Integer) a[1] != 0;
            int m = (Integer) a[2];
            int n = (Integer) a[3];
            int k = (Integer) a[4];
            checkMatrix(kernel + " A", address(a[6]), transA ? k : m, transA ? m : k, (Integer) a[7], (Long) a[8], batch);
            checkMatrix(kernel + " B", address(a[9]), transB ? n : k, transB ? k : n, (Integer) a[10], (Long) a[11],
                    batch);
            checkMatrix(kernel + " C", address(a[13]), m, n, (Integer) a[14], (Long) a[15], batch);
        }

        private void checkMatrix(String what, long base, int rows, int cols, int ld, long stride, int batch) {
            if (ld < cols) {
                throw new AssertionError(what + ": row stride " + ld + " < " + cols + " columns");
            }
            long lastElement = (batch - 1) * stride + (long) (rows - 1) * ld + cols - 1;
            long available = memory.bytesFrom(base, what);
            if (4 * (lastElement + 1) > available) {
                throw new AssertionError(what + ": [" + rows + " x " + cols + "] ld " + ld + " stride " + stride
                        + " x " + batch + " needs " + 4 * (lastElement + 1) + " bytes, the allocation has " + available);
            }
        }

        private static String kindOf(Object a) {
            if (a instanceof CudaTensor) {
                return "ptr";
            }
            if (a instanceof Long) {
                return "i64|ptr";
            }
            if (a instanceof Integer) {
                return "i32";
            }
            if (a instanceof Float) {
                return "f32";
            }
            return a == null ? "null" : a.getClass().getSimpleName();
        }

        private static long address(Object a) {
            return a instanceof CudaTensor t ? t.address() : (Long) a;
        }

        @Override
        public void synchronize(CudaStream stream) {
        }

        List<String> kernelNames() {
            return launches.stream().map(Launch::kernel).toList();
        }
    }

    /**
     * One recorded cuFFT call: "plan", "execute" or "destroy", the plan, for execute its buffers, and how many
     * kernels had been launched before it (its place among them).
     */
    record FftCall(String call, Cufft.Plan plan, long in, long out, long workArea, boolean captured,
                   int afterLaunches) {
    }

    /**
     * cuFFT that computes nothing: plans get handles 1, 2, ... and a work area of 8 bytes a complex element of
     * their batch (so the workspace's last region is checked too); refuses to plan during a capture; checks that
     * every execution's input, output and work area lie inside live allocations of the sizes its plan needs
     * (real [batch, rows, cols] floats, complex [batch, rows, cols/2+1] float pairs), and records every call.
     */
    static final class Fft implements Cufft {
        final Allocator memory;
        final CheckingRunner runner;
        final List<FftCall> calls = new ArrayList<>();
        int nextHandle = 1;

        Fft(Allocator memory, CheckingRunner runner) {
            this.memory = memory;
            this.runner = runner;
        }

        @Override
        public Plan plan(boolean toFrequency, int rows, int cols, int batch) {
            if (memory.device != null && memory.device.capturing) {
                throw new AssertionError("cufftMakePlanMany during a stream capture");
            }
            Plan p = new Plan(nextHandle++, toFrequency, rows, cols, batch, 8L * batch * rows * (cols / 2 + 1));
            calls.add(new FftCall("plan", p, 0, 0, 0, false, runner.launches.size()));
            return p;
        }

        @Override
        public void execute(Plan plan, long in, long out, long workArea) {
            long real = 4L * plan.batch() * plan.rows() * plan.cols();
            long complex = 8L * plan.batch() * plan.rows() * (plan.cols() / 2 + 1);
            String what = (plan.toFrequency() ? "R2C " : "C2R ") + plan;
            need(in, plan.toFrequency() ? real : complex, what + " input");
            need(out, plan.toFrequency() ? complex : real, what + " output");
            need(workArea, plan.workBytes(), what + " work area");
            if (plan.toFrequency() ? overlaps(in, real, out, complex) : overlaps(in, complex, out, real)) {
                throw new AssertionError(what + ": input and output overlap");
            }
            calls.add(new FftCall("execute", plan, in, out, workArea, memory.device != null
                    && memory.device.capturing, runner.launches.size()));
        }

        private void need(long address, long bytes, String what) {
            long available = memory.bytesFrom(address, what);
            if (available < bytes) {
                throw new AssertionError(what + " needs " + bytes + " bytes, the allocation has " + available);
            }
        }

        private static boolean overlaps(long a, long aBytes, long b, long bBytes) {
            return a < b + bBytes && b < a + aBytes;
        }

        @Override
        public void destroy(Plan plan) {
            calls.add(new FftCall("destroy", plan, 0, 0, 0, false, runner.launches.size()));
        }

        /** The executions since call number from, as "R2C 32x32 x12" / "C2R ...". */
        List<String> executionsSince(int from) {
            return calls.subList(from, calls.size()).stream().filter(c -> c.call().equals("execute"))
                    .map(c -> (c.plan().toFrequency() ? "R2C " : "C2R ") + c.plan().rows() + "x" + c.plan().cols()
                            + " x" + c.plan().batch()).toList();
        }
    }

    /** A CudaBackend on host fakes, with our GEMM kernel as its provider and the fake cuFFT. */
    record Rig(CudaBackend backend, Allocator memory, CheckingRunner runner, DevicePool pool, Device device, Fft fft) {
        static Rig create() {
            return create(new Device());
        }

        /** On the given fake device (a test may set its SM count first). */
        static Rig create(Device device) {
            Allocator memory = new Allocator();
            memory.device = device;
            CheckingRunner runner = new CheckingRunner(memory);
            KernelLauncher launcher = new KernelLauncher(runner, device.stream(), true);
            DevicePool pool = new DevicePool(memory);
            GemmProviders.Selection selection = new GemmProviders.Selection(new KernelGemmProvider(launcher),
                    List.of("kernel: loaded"));
            Fft fft = new Fft(memory, runner);
            CudaBackend backend = new CudaBackend(device, pool, launcher, selection, Cufft.Binding.of(fft),
                    "host fake", () -> { });
            return new Rig(backend, memory, runner, pool, device, fft);
        }
    }
}

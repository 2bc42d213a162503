package org.convnet4j.distributed;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The {@link AllReduce} of a run over several processes (one per machine) without NCCL: plain TCP through a
 * hub, meant for CPU backends. It is the test vehicle of multi-process training and a fallback for CPU
 * clusters, not a performance path: every call sends each process's whole tensors to rank 0 and back.
 *
 * <p>Process p of world processes drives L local replicas, global ranks p*L .. p*L+L-1 of world*L. The
 * processes meet at the {@link TcpRendezvous} (its id is the port of rank 0's all-reduce listener, on every
 * interface), then each process other than 0 keeps one connection to rank 0. A sum: every process sends its
 * L local tensors (downloaded to the host) to rank 0, which accumulates element j as
 * {@code (float) (((double) x0[j] + x1[j]) + ... + x(world*L-1)[j])} in global rank order and sends the
 * result back; every replica receives the same bits, the same bits as {@link InProcessAllReduce} over
 * world*L replicas in one process. A broadcast goes from the process of the root's rank through rank 0 to
 * the others.
 *
 * <p>Every call carries its operation, root and element count, and rank 0 refuses a call that differs
 * between processes (the processes would be out of step). A peer that hangs up (it failed, or its process
 * died) or says nothing within the timeout fails the call naming its rank; the failing process then
 * closes its connections, so every other process fails at once too rather than waiting. Calls are
 * synchronous ({@link #await()} has nothing to wait for) and not thread-safe, as for InProcessAllReduce.
 */
public final class TcpAllReduce implements AllReduce {
    private static final byte SUM = 1;
    private static final byte BROADCAST = 2;

    private final List<Backend> backends;
    private final ProcessGroupOptions group;
    private final Duration timeout;
    /** Rank 0: the connection of process p at p - 1. Others: the connection to rank 0 alone. */
    private final List<Link> links;
    /** The link rank 0 is reading from or writing to, to name the peer when it fails. */
    private Link current;
    private float[] host = new float[0];
    private double[] sum = new double[0];
    private boolean closed;

    /** A connection with its streams, named by the process at its other end. */
    private record Link(int process, Socket socket, DataInputStream in, DataOutputStream out) {
        static Link of(int process, Socket socket) throws IOException {
            return new Link(process, socket, new DataInputStream(new BufferedInputStream(socket.getInputStream())),
                    new DataOutputStream(new BufferedOutputStream(socket.getOutputStream())));
        }
    }

    /** An all-reduce across processes failed: a peer hung up, timed out or was out of step, named. */
    public static final class ProcessGroupException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ProcessGroupException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private TcpAllReduce(List<Backend> backends, ProcessGroupOptions group, Duration timeout, List<Link> links) {
        this.backends = backends;
        this.group = group;
        this.timeout = timeout;
        this.links = links;
    }

    /**
     * Joins the run of group with one local replica per backend: the rendezvous ({@link TcpRendezvous#exchange},
     * token checked), then the connections to rank 0, all within timeout. Every later call waits at most
     * timeout for a peer.
     *
     * @throws TcpRendezvous.RendezvousException the processes did not meet, and why
     * @throws ProcessGroupException             a peer did not connect after the rendezvous
     */
    public static TcpAllReduce join(List<Backend> backends, ProcessGroupOptions group, String token, Duration timeout) {
        if (backends == null || backends.isEmpty() || backends.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("tcp all-reduce: needs one backend per local replica, got " + backends);
        }
        List<Backend> local = List.copyOf(backends);
        int millis = (int) Math.min(Math.max(1, timeout.toMillis()), Integer.MAX_VALUE);
        List<Link> links = new ArrayList<>();
        try {
            if (group.rank() == 0) {
                try (ServerSocket server = new ServerSocket()) {
                    server.bind(new InetSocketAddress(0));
                    int port = server.getLocalPort();
                    TcpRendezvous.exchange(group, token, () -> ByteBuffer.allocate(4).putInt(port).array(), timeout);
                    server.setSoTimeout(millis);
                    Link[] byProcess = new Link[group.world() - 1];
                    for (int i = 1; i < group.world(); i++) {
                        Socket s = server.accept();
                        s.setSoTimeout(millis);
                        s.setTcpNoDelay(true);
                        int p = new DataInputStream(s.getInputStream()).readInt();
                        if (p < 1 || p >= group.world() || byProcess[p - 1] != null) {
                            s.close();
                            throw new IOException("a peer said rank " + p + " after the rendezvous, expected one of 1.."
                                    + (group.world() - 1) + " once each");
                        }
                        byProcess[p - 1] = Link.of(p, s);
                        links.add(byProcess[p - 1]);
                    }
                    links.clear();
                    links.addAll(List.of(byProcess)); // in process order
                }
            } else {
                byte[] id = TcpRendezvous.exchange(group, token, () -> null, timeout);
                int port = ByteBuffer.wrap(id).getInt();
                Socket s = new Socket();
                s.connect(new InetSocketAddress(group.host(), port), millis);
                s.setSoTimeout(millis);
                s.setTcpNoDelay(true);
                Link link = Link.of(0, s);
                links.add(link);
                link.out().writeInt(group.rank());
                link.out().flush();
            }
        } catch (IOException e) {
            links.forEach(l -> closeQuietly(l.socket()));
            throw new ProcessGroupException("tcp all-reduce: rank " + group.rank() + " of " + group.world()
                    + " could not connect the processes after the rendezvous: " + e, e);
        }
        return new TcpAllReduce(local, group, timeout, links);
    }

    @Override
    public int worldSize() {
        return group.world() * backends.size();
    }

    @Override
    public int localReplicas() {
        return backends.size();
    }

    @Override
    public int firstRank() {
        return group.rank() * backends.size();
    }

    @Override
    public void allReduceSum(List<Tensor> buffers) {
        int n = check("allReduceSum", buffers);
        int local = backends.size();
        try {
            if (group.rank() != 0) {
                Link hub = links.get(0);
                header(hub, SUM, -1, n);
                for (int r = 0; r < local; r++) {
                    backends.get(r).download(buffers.get(r), host);
                    writeFloats(hub.out(), host, n);
                }
                hub.out().flush();
                readFloats(hub, host, n);
            } else {
                java.util.Arrays.fill(sum, 0, n, 0.0);
                for (int r = 0; r < local; r++) {
                    backends.get(r).download(buffers.get(r), host);
                    add(host, n);
                }
                for (Link peer : links) {
                    current = peer;
                    expect(peer, SUM, -1, n);
                    for (int r = 0; r < local; r++) {
                        readFloats(peer, host, n);
                        add(host, n);
                    }
                }
                for (int j = 0; j < n; j++) {
                    host[j] = (float) sum[j];
                }
                sendToPeers(n);
            }
        } catch (IOException e) {
            throw broken("allReduceSum", e);
        }
        upload(buffers, -1);
    }

    @Override
    public void broadcast(List<Tensor> buffers, int root) {
        int n = check("broadcast", buffers);
        if (root < 0 || root >= worldSize()) {
            throw new IllegalArgumentException("tcp all-reduce: broadcast root " + root + " is not a rank of the run;"
                    + " ranks are 0.." + (worldSize() - 1));
        }
        int local = backends.size();
        int owner = root / local;
        try {
            if (owner == group.rank()) {
                backends.get(root % local).download(buffers.get(root % local), host);
            }
            if (group.rank() != 0) {
                Link hub = links.get(0);
                header(hub, BROADCAST, root, n);
                if (owner == group.rank()) {
                    writeFloats(hub.out(), host, n);
                }
                hub.out().flush();
                readFloats(hub, host, n);
            } else {
                for (Link peer : links) {
                    current = peer;
                    expect(peer, BROADCAST, root, n);
                    if (peer.process() == owner) {
                        readFloats(peer, host, n);
                    }
                }
                sendToPeers(n);
            }
        } catch (IOException e) {
            throw broken("broadcast", e);
        }
        upload(buffers, root);
    }

    /** Rank 0: sends the first n values of the host buffer to every other process. */
    private void sendToPeers(int n) throws IOException {
        for (Link peer : links) {
            current = peer;
            writeFloats(peer.out(), host, n);
            peer.out().flush();
        }
    }

    /** Uploads the host buffer into every local replica's tensor but that of global rank skip's. */
    private void upload(List<Tensor> buffers, int skip) {
        for (int r = 0; r < backends.size(); r++) {
            if (firstRank() + r != skip) {
                backends.get(r).upload(host, buffers.get(r));
            }
        }
    }

    private void add(float[] x, int n) {
        for (int j = 0; j < n; j++) {
            sum[j] += x[j];
        }
    }

    private static void header(Link hub, byte op, int root, int n) throws IOException {
        hub.out().writeByte(op);
        hub.out().writeInt(root);
        hub.out().writeInt(n);
    }

    /** Rank 0 reads a peer's header and refuses one that differs from its own call. */
    private void expect(Link peer, byte op, int root, int n) throws IOException {
        byte theirOp = peer.in().readByte();
        int theirRoot = peer.in().readInt();
        int theirN = peer.in().readInt();
        if (theirOp != op || theirRoot != root || theirN != n) {
            throw new OutOfStep("rank " + peer.process() + " called " + describe(theirOp, theirRoot, theirN)
                    + " where rank 0 called " + describe(op, root, n) + ": the processes are out of step (every"
                    + " process must make the same calls in the same order)");
        }
    }

    /** A peer's call differs from rank 0's. */
    private static final class OutOfStep extends IOException {
        private static final long serialVersionUID = 1L;

        OutOfStep(String message) {
            super(message);
        }
    }

    private static String describe(byte op, int root, int n) {
        return (op == SUM ? "allReduceSum" : op == BROADCAST ? "broadcast from rank " + root : "operation " + op)
                + " of " + n + " elements";
    }

    private static void writeFloats(DataOutputStream out, float[] x, int n) throws IOException {
        for (int j = 0; j < n; j++) {
            out.writeInt(Float.floatToRawIntBits(x[j]));
        }
    }

    private static void readFloats(Link link, float[] x, int n) throws IOException {
        for (int j = 0; j < n; j++) {
            x[j] = Float.intBitsToFloat(link.in().readInt());
        }
    }

    /**
     * Closes every connection (so the other processes fail at once too) and names the peer the failure came
     * from: rank 0 names the peer it read from; the others name rank 0.
     */
    private ProcessGroupException broken(String op, IOException e) {
        close();
        String why = e instanceof EOFException || e instanceof java.net.SocketException
                ? "closed the connection (it failed or stopped; its log says why)"
                : e instanceof SocketTimeoutException ? "said nothing for " + timeout.toSeconds() + " s (hung, or far"
                        + " behind)" : "failed: " + e.getMessage();
        String who = group.rank() != 0 ? "rank 0" : current == null ? "a peer" : "rank " + current.process();
        return new ProcessGroupException("tcp all-reduce: " + op + " on rank " + group.rank() + " of " + group.world()
                + ": " + (e instanceof OutOfStep ? e.getMessage() : who + " " + why), e);
    }


    /** Checks buffers (one open FLOAT32 tensor per local replica, one shape); sizes the host buffers. */
    private int check(String op, List<Tensor> buffers) {
        if (closed) {
            throw new IllegalStateException("tcp all-reduce: " + op + " after close (or after a failed call)");
        }
        Shape shape = InProcessAllReduce.checkBuffers("tcp all-reduce", op, buffers, backends.size());
        int n = shape.size();
        if (host.length != n) {
            host = new float[n];
        }
        if (sum.length < n) {
            sum = new double[n];
        }
        return n;
    }

    @Override
    public void await() {
        if (closed) {
            throw new IllegalStateException("tcp all-reduce: await after close");
        }
    }

    @Override
    public String description() {
        return "TCP through rank 0 (" + group + "), " + backends.size() + " local replica"
                + (backends.size() == 1 ? "" : "s") + " of " + worldSize() + " (host sum in double, rank order)";
    }

    /** Closes the connections; later calls throw IllegalStateException. Idempotent. */
    @Override
    public void close() {
        closed = true;
        links.forEach(l -> closeQuietly(l.socket()));
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // nothing left to release
        }
    }
}

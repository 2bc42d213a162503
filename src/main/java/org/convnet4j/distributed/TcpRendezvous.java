package org.convnet4j.distributed;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * How the processes of a run find each other before NCCL starts, in the spirit of torch.distributed's TCP
 * store: the process of rank 0 listens on the rendezvous port; every other process connects to HOST:PORT
 * (retrying, with a growing pause, until the timeout, since rank 0 may start later) and says who it is:
 * its rank, the world size and a run token (the model and anything that must agree between processes).
 * Rank 0 checks that ranks 1..world-1 each arrive once, with its world size and token, and then sends every
 * one of them the same opaque bytes (NCCL's 128-byte unique id); any mismatch fails the whole rendezvous,
 * rank 0 telling each connected peer why. Plain java.net, one short-lived connection per peer.
 *
 * <p>Wire format (big-endian, java.io.Data streams): a peer sends the magic "convnet4j-rdv/1" (UTF), its
 * rank, world (ints) and token (UTF); rank 0 answers a byte 0 followed by an int length and the id bytes,
 * or a byte 1 followed by the reason (UTF).
 */
public final class TcpRendezvous {
    static final String MAGIC = "convnet4j-rdv/1";
    /** How long a rendezvous waits by default for every rank to arrive. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(300);

    private TcpRendezvous() {
    }

    /**
     * Takes part in the rendezvous as the options' rank: rank 0 listens on options.port() (every interface),
     * makes the id with idOfRank0 and hands it out once all ranks have arrived; the others join and receive it.
     *
     * @return the id bytes, the same in every process
     * @throws RendezvousException naming what went wrong: the port in use, a duplicate rank, a world size or
     *                             token that differs, the ranks still missing at the timeout, a peer that hung up
     */
    public static byte[] exchange(ProcessGroupOptions options, String token, Supplier<byte[]> idOfRank0, Duration timeout) {
        if (options.rank() == 0) {
            try (Server server = Server.listen(options.port())) {
                return server.serve(options.world(), token, idOfRank0.get(), timeout);
            }
        }
        return join(options.host(), options.port(), options.rank(), options.world(), token, timeout);
    }

    /** A rendezvous failure, with a message naming the ranks, host and port involved. */
    public static final class RendezvousException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RendezvousException(String message) {
            super(message);
        }

        RendezvousException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Rank 0's side: a listening socket, then {@link #serve}. */
    public static final class Server implements AutoCloseable {
        private final ServerSocket socket;

        private Server(ServerSocket socket) {
            this.socket = socket;
        }

        /**
         * Listens on port (0: a free port the system picks, see {@link #port()}) on every interface.
         *
         * @throws RendezvousException the port is in use, or cannot be bound
         */
        public static Server listen(int port) {
            ServerSocket s = null;
            try {
                s = new ServerSocket();
                s.bind(new InetSocketAddress(port));
                return new Server(s);
            } catch (IOException e) {
                closeQuietly(s);
                String why = e instanceof BindException ? "port " + port + " is in use (another run, or a process"
                        + " that still holds it; pick another --rendezvous port)" : e.toString();
                throw new RendezvousException("rank 0 cannot listen for the rendezvous on port " + port + ": " + why, e);
            }
        }

        /** The port listened on. */
        public int port() {
            return socket.getLocalPort();
        }

        /**
         * Waits until ranks 1..world-1 have each connected once with this world size and token, then sends
         * them id.
         *
         * @return id
         * @throws RendezvousException as {@link TcpRendezvous#exchange} says; every connected peer is told why
         */
        public byte[] serve(int world, String token, byte[] id, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            TreeMap<Integer, Peer> peers = new TreeMap<>();
            try {
                while (peers.size() < world - 1) {
                    long left = (deadline - System.nanoTime()) / 1_000_000;
                    if (left <= 0) {
                        throw fail(peers, "timed out after " + seconds(timeout) + " waiting on port " + port() + ": "
                                + missing(peers, world) + " of world " + world + " did not arrive (arrived: rank 0"
                                + (peers.isEmpty() ? "" : ", " + join(peers.keySet())) + ")");
                    }
                    Socket s;
                    try {
                        socket.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
                        s = socket.accept();
                    } catch (SocketTimeoutException e) {
                        continue;
                    } catch (IOException e) {
                        throw fail(peers, "accepting on port " + port() + " failed: " + e);
                    }
                    Peer p = Peer.read(s, left);
                    String problem = p.problem != null ? p.problem
                            : p.world != world ? "rank " + p.rank + " (" + p.from + ") says world " + p.world
                                    + ", rank 0 has world " + world + ": every process must pass the same --world"
                            : p.rank < 1 || p.rank >= world ? "a peer (" + p.from + ") says rank " + p.rank
                                    + ", outside 1.." + (world - 1) + " (rank 0 is the one listening)"
                            : peers.containsKey(p.rank) ? "rank " + p.rank + " arrived twice (" + peers.get(p.rank).from
                                    + " and " + p.from + "): every process needs its own --rank"
                            : !p.token.equals(token) ? "rank " + p.rank + " (" + p.from + ") runs '" + p.token
                                    + "', rank 0 runs '" + token + "': every process must train the same way"
                            : null;
                    if (problem != null) {
                        peers.put(Integer.MIN_VALUE + peers.size(), p); // told too, then closed
                        throw fail(peers, problem);
                    }
                    peers.put(p.rank, p);
                }
                for (Peer p : peers.values()) {
                    if (p.hungUp()) {
                        throw fail(peers, "rank " + p.rank + " (" + p.from + ") disconnected before the id was sent");
                    }
                }
                for (Peer p : peers.values()) {
                    p.send(id);
                }
                return id;
            } finally {
                peers.values().forEach(Peer::close);
            }
        }

        private static RendezvousException fail(TreeMap<Integer, Peer> peers, String problem) {
            String message = "rendezvous failed: " + problem;
            for (Peer p : peers.values()) {
                p.refuse(message);
            }
            return new RendezvousException(message);
        }

        @Override
        public void close() {
            closeQuietly(socket);
        }
    }

    /** A connected peer, as rank 0 sees it. */
    private static final class Peer {
        final Socket socket;
        final String from;
        int rank = -1;
        int world;
        String token;
        String problem;

        private Peer(Socket socket) {
            this.socket = socket;
            this.from = String.valueOf(socket.getRemoteSocketAddress());
        }

        /** Reads a peer's hello within millis; a peer that sends no valid hello gets problem set. */
        static Peer read(Socket s, long millis) {
            Peer p = new Peer(s);
            try {
                s.setSoTimeout((int) Math.max(1, Math.min(millis, 30_000)));
                DataInputStream in = new DataInputStream(s.getInputStream());
                String magic = in.readUTF();
                if (!magic.equals(MAGIC)) {
                    p.problem = "a peer (" + p.from + ") spoke '" + magic + "', not " + MAGIC
                            + " (another program on the rendezvous port, or another convnet4j version)";
                    return p;
                }
                p.rank = in.readInt();
                p.world = in.readInt();
                p.token = in.readUTF();
            } catch (EOFException e) {
                p.problem = "a peer (" + p.from + ") disconnected before saying its rank";
            } catch (IOException e) {
                p.problem = "a peer (" + p.from + ") did not say its rank: " + e;
            }
            return p;
        }

        /** Whether the peer has closed its end (a read sees the end of the stream at once). */
        boolean hungUp() {
            try {
                socket.setSoTimeout(1);
                return socket.getInputStream().read() < 0;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true;
            }
        }

        void send(byte[] id) {
            try {
                DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                out.writeByte(0);
                out.writeInt(id.length);
                out.write(id);
                out.flush();
            } catch (IOException e) {
                throw new RendezvousException("rendezvous failed: rank " + rank + " (" + from
                        + ") disconnected before the id was sent: " + e, e);
            }
        }

        void refuse(String message) {
            try {
                DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                out.writeByte(1);
                out.writeUTF(message);
                out.flush();
            } catch (IOException e) {
                // the peer is gone already; rank 0's own exception says what went wrong
            }
        }

        void close() {
            closeQuietly(socket);
        }
    }

    /**
     * A peer's side: connects to rank 0 at host:port (retrying while it is not listening yet, pausing 50 ms
     * then twice as long each time, at most 2 s, until the timeout), says rank, world and token, and waits
     * for the id.
     *
     * @throws RendezvousException rank 0 unreachable within the timeout, rank 0's refusal (its reason), or rank
     *                             0 hanging up or not answering in time
     */
    public static byte[] join(String host, int port, int rank, int world, String token, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String where = "rank 0 at " + host + ":" + port;
        long pause = 50;
        IOException last = null;
        int attempts = 0;
        while (true) {
            attempts++;
            Socket s = new Socket();
            try {
                long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                s.connect(new InetSocketAddress(host, port), (int) Math.min(left, 10_000));
                s.setSoTimeout((int) Math.min(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), Integer.MAX_VALUE));
                return hello(s, where, rank, world, token);
            } catch (SocketTimeoutException e) {
                closeQuietly(s);
                if (s.isConnected()) {
                    throw new RendezvousException("rank " + rank + ": " + where + " did not send the id within "
                            + seconds(timeout) + " (are ranks missing? rank 0's log names them)", e);
                }
                last = last == null ? e : last; // a connect cut short by the deadline says less than a refusal

            } catch (IOException e) {
                closeQuietly(s);
                if (s.isConnected()) {
                    throw new RendezvousException("rank " + rank + ": " + where + " closed the connection before"
                            + " sending the id (did it fail? its log says why): " + e, e);
                }
                last = e; // refused, unreachable, unknown host: rank 0 may not be listening yet
            }
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new RendezvousException("rank " + rank + " could not reach " + where + " within "
                        + seconds(timeout) + " (" + attempts + " attempts; last: " + last + ")", last);
            }
            sleep(Math.min(pause, left));
            pause = Math.min(pause * 2, 2_000);
        }
    }

    private static byte[] hello(Socket s, String where, int rank, int world, String token)
            throws IOException {
        try (s) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeUTF(MAGIC);
            out.writeInt(rank);
            out.writeInt(world);
            out.writeUTF(token);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int status = in.readByte();
            if (status != 0) {
                throw new RendezvousException("rank " + rank + ": " + where + " refused: " + in.readUTF());
            }
            int length = in.readInt();
            if (length < 0 || length > 1 << 16) {
                throw new RendezvousException("rank " + rank + ": " + where + " sent an id of " + length + " bytes");
            }
            byte[] id = new byte[length];
            in.readFully(id);
            return id;
        }
    }

    private static String missing(TreeMap<Integer, Peer> peers, int world) {
        List<Integer> missing = new ArrayList<>();
        for (int r = 1; r < world; r++) {
            if (!peers.containsKey(r)) {
                missing.add(r);
            }
        }
        return (missing.size() == 1 ? "rank " : "ranks ") + join(missing);
    }

    private static String join(Iterable<Integer> ranks) {
        StringBuilder s = new StringBuilder();
        for (int r : ranks) {
            s.append(s.length() == 0 ? "" : ", ").append(r);
        }
        return s.toString();
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RendezvousException("rendezvous interrupted", e);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // nothing left to release
            }
        }
    }
}

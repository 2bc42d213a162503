package org.convnet4j.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.convnet4j.distributed.TcpRendezvous.RendezvousException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rendezvous on loopback: threads for the logic (the id reaches every rank; each failure names its
 * ranks), and two separate JVMs exchanging a 128-byte id the way two machines would.
 */
class TcpRendezvousTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
    }

    private static byte[] randomId(long seed) {
        byte[] id = new byte[128];
        new SplittableRandom(seed).nextBytes(id);
        return id;
    }

    private Future<byte[]> peer(int port, int rank, int world, String token, Duration timeout) {
        return pool.submit(() -> TcpRendezvous.join("127.0.0.1", port, rank, world, token, timeout));
    }

    /** The failure of f, which must fail with a RendezvousException. */
    private static String failure(Future<?> f) {
        Throwable t = assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS))
                .getCause();
        assertTrue(t instanceof RendezvousException, String.valueOf(t));
        return t.getMessage();
    }

    @Test
    void everyRankReceivesRankZerosIdWhateverOrderTheyArriveIn() throws Exception {
        byte[] id = randomId(1);
        try (TcpRendezvous.Server server = TcpRendezvous.Server.listen(0)) {
            List<Future<byte[]>> peers = new ArrayList<>();
            for (int rank = 3; rank >= 1; rank--) {
                peers.add(peer(server.port(), rank, 4, "lenet5 b64", TIMEOUT));
            }
            assertArrayEquals(id, server.serve(4, "lenet5 b64", id, TIMEOUT));
            for (Future<byte[]> p : peers) {
                assertArrayEquals(id, p.get(30, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void aPeerStartedBeforeRankZeroRetriesUntilItListens() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort(); // free again once closed; the peer starts before anyone listens on it
        }
        Future<byte[]> early = peer(port, 1, 2, "t", TIMEOUT);
        Thread.sleep(400); // a few refused attempts
        byte[] id = randomId(2);
        byte[] got = TcpRendezvous.exchange(new ProcessGroupOptions(0, 2, "127.0.0.1", port), "t", () -> id, TIMEOUT);
        assertArrayEquals(id, got);
        assertArrayEquals(id, early.get(30, TimeUnit.SECONDS));
    }

    @Test
    void aWorldOfOneNeedsNoPeer() {
        byte[] id = randomId(3);
        try (TcpRendezvous.Server server = TcpRendezvous.Server.listen(0)) {
            assertArrayEquals(id, server.serve(1, "t", id, Duration.ofMillis(200)));
        }
    }

    @Test
    void aDuplicateRankFailsRankZeroAndTellsThePeers() throws Exception {
        try (TcpRendezvous.Server server = TcpRendezvous.Server.listen(0)) {
            Future<byte[]> a = peer(server.port(), 1, 3, "t", TIMEOUT);
            Thread.sleep(300);
            Future<byte[]> b = peer(server.port(), 1, 3, "t", TIMEOUT);
            RendezvousException e = assertThrows(RendezvousException.class,
                    () -> server.serve(3, "t", randomId(4), TIMEOUT));
            assertTrue(e.getMessage().startsWith("rendezvous failed: rank 1 arrived twice ("), e.getMessage());
            assertTrue(e.getMessage().endsWith("every process needs its own --rank"), e.getMessage());
            for (Future<byte[]> p : List.of(a, b)) {
                String m = failure(p);
                assertTrue(m.startsWith("rank 1: rank 0 at 127.0.0.1:" + server.port() + " refused: rendezvous failed:"
                        + " rank 1 arrived twice"), m);
            }
        }
    }

    @Test
    void aWorldMismatchNamesBothSizes() throws Exception {
        try (TcpRendezvous.Server server = TcpRendezvous.Server.listen(0)) {
            Future<byte[]> p = peer(server.port(), 1, 3, "t", TIMEOUT);
            RendezvousException e = assertThrows(RendezvousException.class,
                    () -> server.serve(2, "t", randomId(5), TIMEOUT));
            assertTrue(e.getMessage().matches("rendezvous failed: rank 1 \\(/127\\.0\\.0\\.1:\\d+\\) says world 3, rank 0"
                    + " has world 2: every process must pass the same --world"), e.getMessage());
            assertTrue(failure(p).contains("refused: rendezvous failed: rank 1"), "the peer is told");
        }
    }

    @Test
    void aTokenMismatchNamesBothRuns() {
        try (TcpRendezvous.Server server = TcpRendezvous.Server.listen(0)) {
            peer(server.port(), 1, 2, "alexnet b128", TIMEOUT);
            RendezvousException e = assertThrows(RendezvousException.class,
                    () -> server.serve(2, "lenet5 b64", randomId(6), TIMEOUT));
            assertTrue(e.getMessage().contains("runs 'alexnet b128', rank 0 runs 'lenet5 b64'"), e.getMessage());
        }
    }

    @Test
    void aRankOutsideTheWorldIsRefused() {
        try (TcpRendezvous.Server server = TcpRendezvous.Server.listen(0)) {
            peer(server.port(), 0, 2, "t", TIMEOUT);
            RendezvousException e = assertThrows(RendezvousException.class,
                    () -> server.serve(2, "t", randomId(7), TIMEOUT));
            assertTrue(e.getMessage().contains("says rank 0, outside 1..1 (rank 0 is the one listening)"), e.getMessage());
        }
    }

    @Test
    void theTimeoutNamesTheMissingRanks() throws Exception {
        try (TcpRendezvous.Server server = TcpRendezvous.Server.listen(0)) {
            Future<byte[]> p = peer(server.port(), 2, 4, "t", TIMEOUT);
            RendezvousException e = assertThrows(RendezvousException.class,
                    () -> server.serve(4, "t", randomId(8), Duration.ofMillis(2500)));
            assertEquals("rendezvous failed: timed out after 2500 ms waiting on port " + server.port()
                    + ": ranks 1, 3 of world 4 did not arrive (arrived: rank 0, 2)", e.getMessage());
            assertTrue(failure(p).contains("ranks 1, 3 of world 4 did not arrive"), "the peer that came is told");
        }
    }

    @Test
    void aPeerThatFindsNoRankZeroGivesUpAtItsTimeout() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        String m = failure(peer(port, 1, 2, "t", Duration.ofMillis(800)));
        assertTrue(m.startsWith("rank 1 could not reach rank 0 at 127.0.0.1:" + port + " within 800 ms ("), m);
        assertTrue(m.contains("Connection refused"), m);
    }

    @Test
    void aPortInUseIsSaidSo() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(0));
            RendezvousException e = assertThrows(RendezvousException.class,
                    () -> TcpRendezvous.Server.listen(taken.getLocalPort()));
            assertTrue(e.getMessage().startsWith("rank 0 cannot listen for the rendezvous on port "
                    + taken.getLocalPort() + ": port " + taken.getLocalPort() + " is in use"), e.getMessage());
        }
    }

    @Test
    void aPeerThatHangsUpBeforeTheIdFailsTheRendezvous() throws Exception {
        try (TcpRendezvous.Server server = TcpRendezvous.Server.listen(0)) {
            Future<byte[]> stays = peer(server.port(), 2, 3, "t", TIMEOUT);
            // rank 1 says hello, then closes its connection before rank 2 has arrived
            try (Socket quitter = new Socket("127.0.0.1", server.port())) {
                DataOutputStream out = new DataOutputStream(quitter.getOutputStream());
                out.writeUTF(TcpRendezvous.MAGIC);
                out.writeInt(1);
                out.writeInt(3);
                out.writeUTF("t");
                out.flush();
            }
            Thread.sleep(300);
            RendezvousException e = assertThrows(RendezvousException.class,
                    () -> server.serve(3, "t", randomId(9), TIMEOUT));
            assertTrue(e.getMessage().matches("rendezvous failed: rank 1 \\(/127\\.0\\.0\\.1:\\d+\\) disconnected before"
                    + " the id was sent"), e.getMessage());
            assertTrue(failure(stays).contains("rank 1 (/127.0.0.1:"), "rank 2 is told about rank 1");
        }
    }

    @Test
    void aPeerSeesRankZeroHangUp() throws Exception {
        try (ServerSocket fake = new ServerSocket(0)) {
            Future<byte[]> p = peer(fake.getLocalPort(), 1, 2, "t", TIMEOUT);
            fake.accept().close();
            String m = failure(p);
            assertTrue(m.startsWith("rank 1: rank 0 at 127.0.0.1:" + fake.getLocalPort() + " closed the connection before"
                    + " sending the id"), m);
        }
    }

    /** Rank 0 and rank 1 as two JVMs: rank 0 prints its port, rank 1 joins; both print the id they hold. */
    @Test
    void twoProcessesExchangeTheId(@TempDir Path dir) throws Exception {
        Process root = process(dir, "0", "0");
        try (BufferedReader rootOut = new BufferedReader(new InputStreamReader(root.getInputStream(),
                StandardCharsets.UTF_8))) {
            String listening = rootOut.readLine();
            assertTrue(listening != null && listening.startsWith("listening "), listening + "; "
                    + Files.readString(dir.resolve("err-0.txt")));
            String port = listening.substring("listening ".length());
            Process peer = process(dir, "1", port);
            String rootId = rootOut.readLine();
            assertTrue(peer.waitFor(60, TimeUnit.SECONDS) && root.waitFor(60, TimeUnit.SECONDS), "both finish");
            String peerId = new String(peer.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertEquals(0, root.exitValue(), Files.readString(dir.resolve("err-0.txt")));
            assertEquals(0, peer.exitValue(), Files.readString(dir.resolve("err-1.txt")));
            assertTrue(rootId.matches("id [0-9a-f]{256}"), "128 bytes in hex: " + rootId);
            assertEquals(rootId, peerId);
        } finally {
            root.destroyForcibly();
        }
    }

    private static Process process(Path dir, String rank, String port) throws Exception {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                RendezvousProcess.class.getName(), rank, port);
        return new ProcessBuilder(command).redirectError(dir.resolve("err-" + rank + ".txt").toFile()).start();
    }

    /** One rank of a world of 2 in its own JVM: args rank, port (rank 0: 0 picks one and prints it). */
    public static final class RendezvousProcess {
        public static void main(String[] args) {
            int rank = Integer.parseInt(args[0]);
            int port = Integer.parseInt(args[1]);
            byte[] id;
            if (rank == 0) {
                try (TcpRendezvous.Server server = TcpRendezvous.Server.listen(port)) {
                    System.out.println("listening " + server.port());
                    System.out.flush();
                    id = server.serve(2, "two processes", randomId(System.nanoTime()), TIMEOUT);
                }
            } else {
                id = TcpRendezvous.join("127.0.0.1", port, rank, 2, "two processes", TIMEOUT);
            }
            System.out.println("id " + HexFormat.of().formatHex(id));
        }
    }
}

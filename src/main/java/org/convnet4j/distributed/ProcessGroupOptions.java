package org.convnet4j.distributed;

/**
 * The processes of a run over several machines ({@code train --rank R --world W --rendezvous HOST:PORT}):
 * this process's rank among world processes, and where the process of rank 0 listens for the others
 * ({@link TcpRendezvous}). Each process drives its machine's local replicas, so the run has world times
 * that many replicas.
 *
 * @param rank  this process's rank, 0 &lt;= rank &lt; world
 * @param world the number of processes
 * @param host  the host of rank 0 (a name or an address)
 * @param port  the port rank 0 listens on, 1..65535 (0 only where a test lets the system pick)
 */
public record ProcessGroupOptions(int rank, int world, String host, int port) {
    public ProcessGroupOptions {
        if (world < 1) {
            throw new IllegalArgumentException("--world must be >= 1, got " + world);
        }
        if (rank < 0 || rank >= world) {
            throw new IllegalArgumentException("--rank must lie in 0.." + (world - 1) + " for --world " + world + ", got "
                    + rank);
        }
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("--rendezvous needs a host before the port, as HOST:PORT");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--rendezvous port must lie in 1..65535, got " + port);
        }
    }

    /**
     * The options from the command line: all three given, or none (null: a run of one process).
     *
     * @param rendezvous HOST:PORT ([IPv6]:PORT for an IPv6 address)
     * @throws IllegalArgumentException some but not all given, or a value out of range, naming the option
     */
    public static ProcessGroupOptions of(Integer rank, Integer world, String rendezvous) {
        int given = (rank != null ? 1 : 0) + (world != null ? 1 : 0) + (rendezvous != null ? 1 : 0);
        if (given == 0) {
            return null;
        }
        if (given != 3) {
            throw new IllegalArgumentException("--rank, --world and --rendezvous go together (a run over several"
                    + " processes needs all three); given: " + ((rank != null ? "--rank " : "")
                    + (world != null ? "--world " : "") + (rendezvous != null ? "--rendezvous" : "")).strip());
        }
        int colon = rendezvous.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("--rendezvous must be HOST:PORT, got '" + rendezvous + "'");
        }
        String host = rendezvous.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(rendezvous.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--rendezvous must be HOST:PORT with a numeric port, got '"
                    + rendezvous + "'");
        }
        if (port < 1) {
            throw new IllegalArgumentException("--rendezvous port must lie in 1..65535, got " + port);
        }
        return new ProcessGroupOptions(rank, world, host, port);
    }

    /** "rank 1 of 2, rendezvous host:port". */
    @Override
    public String toString() {
        return "rank " + rank + " of " + world + ", rendezvous " + host + ":" + port;
    }
}

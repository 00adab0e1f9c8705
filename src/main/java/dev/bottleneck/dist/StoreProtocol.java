package dev.bottleneck.dist;

/**
 * The wire format of the job's key-value store (rank 0 serves it, every rank is a client): typed fields in Java's
 * {@code DataOutputStream} encoding, big-endian. Each rank opens two connections: a <em>request</em> connection
 * for set/get/barrier, and a <em>control</em> connection that stays idle until the rank says goodbye; the server
 * tells from the control connection whether a rank is still alive, and pushes an abort message on it.
 *
 * <pre>
 * HELLO   op, magic, version, role, rank, world, host     → OK | ERR message
 * SET     op, key, length, bytes                          → OK
 * GET     op, key, timeout ms                             → OK length bytes | TIMEOUT | ABORT message
 * BARRIER op, name, timeout ms                            → OK | ERR message (names the missing ranks) | ABORT message
 * FAIL    op, message                                     → OK (the job is aborted: "rank r failed: message")
 * BYE     op                   (control connection)       → OK
 * pushed on the control connection: ABORT message
 * </pre>
 */
final class StoreProtocol {
    private StoreProtocol() {}

    static final int MAGIC = 0x424E4453; // "BNDS"
    static final int VERSION = 1;

    static final byte HELLO = 1, SET = 2, GET = 3, BARRIER = 4, FAIL = 5, BYE = 6;
    static final byte ROLE_CONTROL = 0, ROLE_REQUEST = 1;
    static final byte OK = 0, ERR = 1, TIMEOUT = 2, ABORT = 3;

    /** Largest value a key may hold (a training state as JSON, an NCCL id, a host address). */
    static final int MAX_VALUE = 64 << 20;
}

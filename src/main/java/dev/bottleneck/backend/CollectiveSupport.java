package dev.bottleneck.backend;

/**
 * What a backend offers for collectives between processes ({@link Backend#collectives()}): NCCL on CUDA. The job's
 * ranks exchange the unique id that rank 0 makes ({@link #newUniqueId}) through their own rendezvous, then every
 * rank {@linkplain #join joins} with it.
 */
public interface CollectiveSupport {
    /** Null when the library can be used, else one line saying why not (for example which file is missing). */
    String unavailable();

    /** The library and its version, for example {@code NCCL 2.29.3}. */
    String library();

    /** A fresh id for a new communicator (rank 0 makes it, the others receive it). */
    byte[] newUniqueId();

    /**
     * Joins the communicator of {@code worldSize} ranks named by {@code uniqueId} as {@code rank}; fails with an
     * error, rather than waiting, when the others have not joined within {@code timeoutMs}.
     */
    CollectiveOps join(byte[] uniqueId, int rank, int worldSize, long timeoutMs);
}

package dev.bottleneck.cli;

import dev.bottleneck.data.shard.ShardSet;
import dev.bottleneck.data.shard.StreamedModelOps;
import picocli.CommandLine.Option;

/**
 * How data that stays on disk is read: shard directories always, image folders with {@code --stream}. Shared by
 * train, eval, encode, index and detect.
 */
final class StreamOptionsMixin {
    @Range(min = 0)
    @Option(names = "--loader-threads", defaultValue = "1", paramLabel = "N",
            description = "Background threads that read (and for --stream decode) the next batches while a step runs; 0 reads on the"
                    + " training thread (default: ${DEFAULT-VALUE}).")
    int loaderThreads;

    @Range(min = 1)
    @Option(names = "--prefetch", defaultValue = "4", paramLabel = "BATCHES",
            description = "Batches read ahead by the loader threads (default: ${DEFAULT-VALUE}).")
    int prefetch;

    @Option(names = "--verify", description = "Check the SHA-256 of every shard again (by default each file is checked once, when it is first"
            + " opened, and again only when it changes).")
    boolean verify;

    @Option(names = "--stream", description = "Read an image folder image by image on the loader threads instead of loading it into memory"
            + " (shard directories are always streamed).")
    boolean stream;

    StreamedModelOps.Loading loading() {
        return new StreamedModelOps.Loading(loaderThreads, Math.max(prefetch, 1));
    }

    ShardSet.Verify verification() {
        return verify ? ShardSet.Verify.ALWAYS : ShardSet.Verify.FIRST_OPEN;
    }

    /** Defaults, for callers without the options. */
    static StreamOptionsMixin defaults() {
        StreamOptionsMixin m = new StreamOptionsMixin();
        m.loaderThreads = 1;
        m.prefetch = 4;
        return m;
    }
}

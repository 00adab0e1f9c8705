package dev.bottleneck.dist;

/** {@link Ranks#freePort} for tests of other packages. */
public final class RanksForTests {
    private RanksForTests() {}

    public static int freePort() {
        return Ranks.freePort();
    }
}

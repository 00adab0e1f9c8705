package dev.bottleneck.dist;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.cpu.CpuBackend;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The TCP ring: sums in its documented order, the same bits on every rank, broadcasts, and errors instead of hangs. */
class TcpRingTest {
    private static final String HOST = "127.0.0.1";

    private static float[] vector(int rank, int n) {
        SplittableRandom r = new SplittableRandom(1000 + rank);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-3, 4)));
        return v;
    }

    /** Element i of chunk c is summed as ((x_c + x_(c+1)) + x_(c+2)) + ... round the ring. */
    private static float[] ringOrderSum(int world, int n) {
        float[][] x = new float[world][];
        for (int r = 0; r < world; r++) x[r] = vector(r, n);
        float[] out = new float[n];
        for (int c = 0; c < world; c++) {
            int from = (int) ((long) c * n / world), to = (int) ((long) (c + 1) * n / world);
            for (int i = from; i < to; i++) {
                float s = x[c][i];
                for (int k = 1; k < world; k++) s = s + x[(c + k) % world][i];
                out[i] = s;
            }
        }
        return out;
    }

    @Test
    void allReduceAddsInRingOrderAndEveryRankGetsTheSameBits() {
        for (int world : new int[] {1, 2, 3, 4}) {
            for (int n : new int[] {1, 3, 1000, 100_003}) {
                int port = Ranks.freePort();
                List<Ranks.Outcome<float[]>> out = Ranks.all(world, 60, r -> {
                    try (ProcessGroup pg = ProcessGroup.join(DistEnv.local(r, world, HOST, port), Timeouts.ofSeconds(10, 10));
                         TcpRing ring = TcpRing.open(pg, null)) {
                        float[] v = vector(r, n);
                        ring.allReduceSum(v);
                        return v;
                    }
                });
                float[] want = ringOrderSum(world, n);
                for (Ranks.Outcome<float[]> o : out) assertArrayEquals(want, o.get(), "world " + world + ", n " + n);
            }
        }
    }

    @Test
    void tensorsBroadcastAndHostSumsWorkOnTheCpuBackend() {
        int port = Ranks.freePort();
        List<Ranks.Outcome<float[]>> out = Ranks.all(3, 60, r -> {
            try (CpuBackend be = new CpuBackend(DType.F32);
                 ProcessGroup pg = ProcessGroup.join(DistEnv.local(r, 3, HOST, port), Timeouts.ofSeconds(10, 10));
                 TcpRing ring = TcpRing.open(pg, be)) {
                Tensor t = be.memory().allocate(5);
                be.memory().upload(new float[] {r, r + 1, r + 2, r + 3, r + 4}, t);
                ring.broadcast(t, 1);
                float[] got = be.memory().toFloatArray(t);
                assertArrayEquals(new float[] {1, 2, 3, 4, 5}, got);
                ring.allReduceSum(t);
                assertArrayEquals(new float[] {3, 6, 9, 12, 15}, be.memory().toFloatArray(t));
                assertArrayEquals(new double[] {0 + 1 + 2, 3}, ring.sumHost(new double[] {r, 1}), 0.0);
                be.memory().release(t);
                return got;
            }
        });
        for (Ranks.Outcome<float[]> o : out) o.get();
    }

    @Test
    void aRankThatStopsTakingPartFailsTheOthersWithinTheTimeout() {
        int port = Ranks.freePort();
        long t0 = System.nanoTime();
        List<Ranks.Outcome<String>> out = Ranks.all(3, 60, r -> {
            try (ProcessGroup pg = ProcessGroup.join(DistEnv.local(r, 3, HOST, port), Timeouts.ofSeconds(10, 1));
                 TcpRing ring = TcpRing.open(pg, null)) {
                ring.allReduceSum(new float[10]);
                if (r == 2) {
                    Thread.sleep(4000); // stuck: it calls nothing while the others wait
                    return "stuck";
                }
                try {
                    ring.allReduceSum(new float[10]);
                    return "no error";
                } catch (BottleneckException e) {
                    return e.getMessage();
                }
            }
        });
        double s = (System.nanoTime() - t0) / 1e9;
        String m0 = out.get(0).get(), m1 = out.get(1).get();
        assertTrue(m0.contains("rank 2") || m1.contains("rank 2"), m0 + " / " + m1);
        assertTrue(m0.contains("--collective-timeout") || m1.contains("--collective-timeout"), m0 + " / " + m1);
        assertTrue(s < 15, "took " + s + " s");
    }

    @Test
    void ranksThatCallDifferentCollectivesFailInsteadOfMixingData() {
        int port = Ranks.freePort();
        List<Ranks.Outcome<String>> out = Ranks.all(2, 60, r -> {
            try (CpuBackend be = new CpuBackend(DType.F32);
                 ProcessGroup pg = ProcessGroup.join(DistEnv.local(r, 2, HOST, port), Timeouts.ofSeconds(10, 5));
                 TcpRing ring = TcpRing.open(pg, be)) {
                try {
                    if (r == 0) ring.allReduceSum(new float[8]);
                    else ring.sumHost(new double[8]);
                    return "no error";
                } catch (BottleneckException e) {
                    return e.getMessage();
                }
            }
        });
        assertTrue(out.get(0).get().contains("out of step") || out.get(1).get().contains("out of step"), out.toString());
    }
}

package dev.bottleneck.backend;

import dev.bottleneck.backend.cuda.CudaBackend;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.bottleneck.testing.Asserts.assertExactly;
import static dev.bottleneck.testing.Conformance.KERNEL_NAMES;
import static dev.bottleneck.testing.Conformance.randn;
import static dev.bottleneck.testing.Conformance.rnd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MemoryOps} on every backend under test: transfers, copies, fills, row gathers and column copies, on views
 * at offsets into larger buffers. These ops move values without arithmetic, so each result must equal the host
 * data it came from exactly; the allocator's reuse is checked on CUDA alone.
 */
class MemoryConformanceTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void memoryOps(String name) {
        Backend be = BackendsUnderTest.get(name);
        SplittableRandom r = rnd("memory");
        try (TensorScope s = new TensorScope(be)) {
            int n = 60;
            double[] base = HostData.signed(r, n);
            Tensor t = s.tensor(base, n);
            assertExactly(base, s.get(t), "upload/download whole tensor");

            // upload(double[]) with a source offset into a view at offset 7
            double[] src = HostData.signed(r, 20);
            be.memory().upload(src, 4, t.view(7, 3, 4));
            double[] want = base.clone();
            System.arraycopy(src, 4, want, 7, 12);
            assertExactly(want, s.get(t), "upload(double[], srcOffset 4) into a view at offset 7");

            // upload(float[]) into a view; download(float[]) with a destination offset
            float[] fsrc = {1.5f, -2.25f, 3.125f, 0.0625f, 7f};
            be.memory().upload(fsrc, 1, t.view(30, 4));
            for (int i = 0; i < 4; i++) want[30 + i] = fsrc[1 + i];
            assertExactly(want, s.get(t), "upload(float[], srcOffset 1) into a view at offset 30");
            float[] fdst = new float[9];
            Arrays.fill(fdst, -1f);
            be.memory().download(t.view(29, 6), fdst, 2);
            for (int i = 0; i < 9; i++) {
                double w = i < 2 || i >= 8 ? -1 : (float) want[29 + i - 2];
                assertEquals(w, fdst[i], 0.0, "download(float[], dstOffset 2) of a view at offset 29, element " + i);
            }
            double[] ddst = new double[8];
            be.memory().download(t.view(5, 6), ddst, 1);
            for (int i = 0; i < 6; i++) assertEquals(want[5 + i], ddst[1 + i], 0.0, "download(double[], dstOffset 1) element " + i);
            assertEquals(want[13], be.memory().readScalar(t.view(13, 1)), 0.0, "readScalar of a view at offset 13");

            // copy between views of different shapes (same size)
            be.memory().copy(t.view(40, 2, 5), t.view(2, 10));
            System.arraycopy(want, 40, want, 2, 10);
            assertExactly(want, s.get(t), "copy view [40,50) -> view [2,12)");
            Tensor other = s.nan(3, 4);
            be.memory().copy(t.view(20, 12), other);
            assertExactly(Arrays.copyOfRange(want, 20, 32), s.get(other), "copy view -> [3,4] tensor");

            // fill a view only
            be.memory().fill(t.view(50, 6), -0.5);
            Arrays.fill(want, 50, 56, -0.5);
            assertExactly(want, s.get(t), "fill view [50,56)");

            // zeros
            Tensor z17 = be.memory().zeros(17);
            assertExactly(new double[17], s.get(z17), "zeros");
            be.memory().release(z17);
            Tensor z = be.memory().zeros(5, 3);
            assertExactly(new double[15], s.get(z), "zeros [5,3]");
            be.memory().release(z);

            // gatherRows from a matrix view (rows 2..22 of a [25, 7] buffer) into a view of a larger tensor
            int rows = 20, cols = 7;
            double[] m = HostData.signed(r, 25 * cols);
            Tensor mt = s.tensor(m, 25, cols);
            Tensor srcView = mt.view(2L * cols, rows, cols);
            int[] idx = {99, 19, 0, 7, 7, 13, 2, -5};
            Tensor dst = s.nan(8, cols);
            be.memory().gatherRows(srcView, idx, 1, dst.view(cols, 5, cols));
            double[] g = s.get(dst);
            for (int i = 0; i < 8; i++) {
                for (int j = 0; j < cols; j++) {
                    double w = i == 0 || i > 5 ? Double.NaN : m[(2 + idx[i]) * cols + j];
                    double got = g[i * cols + j];
                    assertTrue(Double.isNaN(w) ? Double.isNaN(got) : w == got,
                            "gatherRows dst row " + i + " col " + j + ": expected " + w + ", got " + got);
                }
            }

            // allocation accounting
            long before = be.memory().bytesInUse();
            Tensor big = s.alloc(1000);
            assertTrue(be.memory().bytesInUse() >= before, "bytesInUse after allocate");
            assertTrue(be.memory().bytesInUse() >= 1000L * be.dtype().bytes || before >= 1000L * be.dtype().bytes,
                    "bytesInUse counts a 1000-element tensor");
            assertTrue(be.memory().peakBytes() >= be.memory().bytesInUse(), "peakBytes >= bytesInUse");
            assertEquals(1000, big.size());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void gatherRowsRejectsBadIndex(String name) {
        Backend be = BackendsUnderTest.get(name);
        try (TensorScope s = new TensorScope(be)) {
            Tensor src = s.tensor(HostData.signed(rnd("g"), 12), 4, 3), dst = s.alloc(2, 3);
            org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                    () -> be.memory().gatherRows(src, new int[] {1, 4}, 0, dst), "row 4 of a 4-row matrix must be rejected");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void copyColumnsMatchesHostLoop(String name) {
        Backend be = BackendsUnderTest.get(name);
        int[][] cases = {{5, 9, 2, 7, 1, 4}, {1, 3, 0, 3, 0, 3}, {33, 40, 20, 20, 0, 20}, {130, 40, 0, 45, 25, 20}, {4, 6, 5, 6, 0, 1}};
        for (int[] c : cases) {
            int rows = c[0], sc = c[1], srcCol = c[2], dc = c[3], dstCol = c[4], width = c[5];
            SplittableRandom r = new SplittableRandom(rows * 31L + sc);
            double[] src = HostData.f32(HostData.signed(r, 3 + rows * sc));
            double[] dst = HostData.f32(HostData.signed(r, 2 + rows * dc));
            double[] expect = new double[rows * dc];
            System.arraycopy(dst, 2, expect, 0, expect.length);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < width; j++) expect[i * dc + dstCol + j] = src[3 + i * sc + srcCol + j];
            }
            try (TensorScope s = new TensorScope(be)) {
                Tensor a = s.tensor(src, src.length).view(3, rows, sc);
                Tensor b = s.tensor(dst, dst.length).view(2, rows, dc);
                be.memory().copyColumns(a, srcCol, b, dstCol, width);
                assertExactly(expect, s.get(b), name + " copyColumns " + java.util.Arrays.toString(c));
            }
        }
        try (TensorScope s = new TensorScope(be)) {
            Tensor a = s.alloc(3, 4), b = s.alloc(3, 2), c = s.alloc(2, 4);
            assertThrows(IllegalArgumentException.class, () -> be.memory().copyColumns(a, 3, b, 0, 2));
            assertThrows(IllegalArgumentException.class, () -> be.memory().copyColumns(a, 0, b, 1, 2));
            assertThrows(IllegalArgumentException.class, () -> be.memory().copyColumns(a, 0, c, 0, 2));
        }
    }

    /**
     * The CUDA allocator's cache: once a set of sizes has been allocated and released, allocating them again makes no
     * cudaMalloc call. CUDA only: the other backends have no device allocator to count.
     */
    @Test
    void gatherRowsAndAllocatorReuse() {
        Backend gpu = BackendsUnderTest.get("cuda");
        float[] data = randn(100 * 7, 30);
        try (TensorScope s = new TensorScope(gpu)) {
            Tensor src = s.tensor(data, 100, 7);
            int[] idx = {5, 99, 0, 42, 42, 17};
            Tensor dst = s.alloc(4, 7);
            gpu.memory().gatherRows(src, idx, 2, dst);
            float[] got = gpu.memory().toFloatArray(dst);
            for (int i = 0; i < 4; i++) for (int c = 0; c < 7; c++) assertEquals(data[idx[2 + i] * 7 + c], got[i * 7 + c]);
        }

        CudaBackend cb = (CudaBackend) gpu;
        for (int round = 0; round < 3; round++) {
            long before = cb.mallocCalls();
            Tensor[] ts = new Tensor[10];
            for (int i = 0; i < ts.length; i++) ts[i] = gpu.memory().allocate(1000 + 37 * i);
            for (Tensor t : ts) gpu.memory().release(t);
            if (round > 0) assertEquals(before, cb.mallocCalls(), "steady state must not call cudaMalloc");
        }
        assertTrue(gpu.memory().peakBytes() >= gpu.memory().bytesInUse());
    }
}

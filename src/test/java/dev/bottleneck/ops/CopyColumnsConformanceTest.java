package dev.bottleneck.ops;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;

import static dev.bottleneck.testing.Asserts.assertExactly;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link dev.bottleneck.backend.MemoryOps#copyColumns} (the forward and backward of the column-slice op) on every
 * backend that loads, against a host loop: a copy is exact, so the comparison is too. Operands are views at
 * offsets into larger buffers, and the destination's other columns must be left untouched.
 */
class CopyColumnsConformanceTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.bottleneck.testing.BackendsUnderTest#names")
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
}

package dev.bottleneck.backend.cuda;

/**
 * A struct that a kernel takes by value, laid out as its C definition in {@code kernels/*.cu}:
 * {@code long long} fields first, then {@code int} fields, natural alignment, size rounded up to 8 bytes.
 * The record implementing it carries the C struct's name; {@code KernelSignatureTest} compares the size with the
 * C definition.
 */
interface KernelStruct {
    /** The 8-byte fields, in declaration order (arrays flattened). */
    long[] longs();

    /** The 4-byte fields after them, in declaration order. */
    int[] ints();

    /** Size in bytes as the C compiler lays it out. */
    default int bytes() {
        int b = 8 * longs().length + 4 * ints().length;
        return (b + 7) & ~7;
    }

    /** The arrays {@code long long a[width]; long long b[width]; ...} of a C struct, each zero-padded to width. */
    static long[] packed(int width, long[]... arrays) {
        long[] l = new long[width * arrays.length];
        for (int k = 0; k < arrays.length; k++) {
            if (arrays[k].length > width) {
                throw new IllegalArgumentException("a kernel struct array holds at most " + width + " values, got " + arrays[k].length);
            }
            System.arraycopy(arrays[k], 0, l, k * width, arrays[k].length);
        }
        return l;
    }

    /** {@code struct BnBroadcast} of elementwise.cu: output sizes and both inputs' strides per dimension, then the rank. */
    record BnBroadcast(long[] dims, long[] sa, long[] sb, int rank) implements KernelStruct {
        static final int MAX_RANK = 8;

        @Override
        public long[] longs() {
            return packed(MAX_RANK, dims, sa, sb);
        }

        @Override
        public int[] ints() {
            return new int[] {rank, 0};
        }
    }

    /** {@code struct BnReduce} of reduce.cu: kept dimensions and strides, reduced dimensions and strides, both counts. */
    record BnReduce(long[] keepDims, long[] keepStrides, long[] redDims, long[] redStrides, int nKeep, int nRed)
            implements KernelStruct {
        static final int MAX_RANK = 8;

        @Override
        public long[] longs() {
            return packed(MAX_RANK, keepDims, keepStrides, redDims, redStrides);
        }

        @Override
        public int[] ints() {
            return new int[] {nKeep, nRed};
        }
    }
}

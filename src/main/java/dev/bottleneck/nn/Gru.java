package dev.bottleneck.nn;

import dev.bottleneck.backend.RnnGeometry;

/**
 * GRU layer(s) with PyTorch's gate order (r, z, n) and equations (the reset gate multiplies W_hn h + b_hn);
 * see {@link Recurrent}.
 */
public final class Gru extends Recurrent {
    public Gru(int input, int hidden, int layers, boolean bidirectional, Output output) {
        super(new RnnGeometry(RnnGeometry.Cell.GRU, input, hidden, layers, bidirectional), output);
    }
}

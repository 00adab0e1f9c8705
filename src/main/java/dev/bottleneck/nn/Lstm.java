package dev.bottleneck.nn;

import dev.bottleneck.backend.RnnGeometry;

/** LSTM layer(s) with PyTorch's gate order (i, f, g, o) and parameters; see {@link Recurrent}. */
public final class Lstm extends Recurrent {
    public Lstm(int input, int hidden, int layers, boolean bidirectional, Output output) {
        super(new RnnGeometry(RnnGeometry.Cell.LSTM, input, hidden, layers, bidirectional), output);
    }
}

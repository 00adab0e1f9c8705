package dev.bottleneck.backend;

import java.util.Locale;

/**
 * The shape of a recurrent network and its canonical flat weight layout, the one format every backend reads and
 * every checkpoint stores. For each layer l (0 first) and each direction d (0 forward, 1 backward), in that order:
 * <pre>
 *   W_ih [G·H, In_l]   (weight_ih_l{l}[_reverse])
 *   W_hh [G·H, H]      (weight_hh_l{l}[_reverse])
 *   b_ih [G·H]         (bias_ih_l{l}[_reverse])
 *   b_hh [G·H]         (bias_hh_l{l}[_reverse])
 * </pre>
 * with G = 4 gates for LSTM in the order i, f, g, o and G = 3 for GRU in the order r, z, n (rows gate·H to
 * (gate+1)·H of each matrix belong to one gate), In_0 = the input size and In_l = D·H above. This is exactly
 * PyTorch's parameter order, so {@code torch.cat([p.flatten() for p in rnn.parameters()])} gives the same vector.
 */
public record RnnGeometry(Cell cell, int input, int hidden, int layers, boolean bidirectional) {
    /** The recurrent cell. */
    public enum Cell {
        LSTM(4), GRU(3);

        /** Gates per cell. */
        public final int gates;

        Cell(int gates) { this.gates = gates; }

        public String specName() { return name().toLowerCase(Locale.ROOT); }

        public static Cell parse(String s) {
            switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "lstm": return LSTM;
                case "gru": return GRU;
                default: throw new IllegalArgumentException("unknown recurrent cell '" + s + "': expected lstm or gru");
            }
        }
    }

    public RnnGeometry {
        if (cell == null) throw new IllegalArgumentException("recurrent layer needs a cell (lstm or gru)");
        if (input <= 0 || hidden <= 0 || layers <= 0) {
            throw new IllegalArgumentException("recurrent layer needs positive sizes, got input " + input + ", hidden "
                    + hidden + ", layers " + layers);
        }
    }

    public int directions() { return bidirectional ? 2 : 1; }

    public int gates() { return cell.gates; }

    /** Features of the output sequence: D·H. */
    public int outputSize() { return directions() * hidden; }

    /** Input features of layer l. */
    public int layerInput(int l) { return l == 0 ? input : outputSize(); }

    /** Weights of one (layer, direction) block. */
    public long blockSize(int l) {
        long gh = (long) gates() * hidden;
        return gh * layerInput(l) + gh * hidden + 2 * gh;
    }

    /** Offset of W_ih of layer l, direction d; W_hh, b_ih and b_hh follow it. */
    public long wIh(int l, int d) {
        long off = 0;
        for (int k = 0; k < l; k++) off += directions() * blockSize(k);
        return off + d * blockSize(l);
    }

    public long wHh(int l, int d) { return wIh(l, d) + (long) gates() * hidden * layerInput(l); }

    public long bIh(int l, int d) { return wHh(l, d) + (long) gates() * hidden * hidden; }

    public long bHh(int l, int d) { return bIh(l, d) + (long) gates() * hidden; }

    /** Total number of weights. */
    public long weightCount() {
        long n = 0;
        for (int l = 0; l < layers; l++) n += directions() * blockSize(l);
        return n;
    }

    /** PyTorch's name of a block: {@code weight_ih_l0}, {@code bias_hh_l1_reverse}... */
    public static String torchName(String kind, int l, int d) {
        return kind + "_l" + l + (d == 1 ? "_reverse" : "");
    }
}

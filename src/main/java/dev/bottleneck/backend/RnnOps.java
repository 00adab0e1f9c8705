package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;

/**
 * Multi-layer, optionally bidirectional LSTM and GRU over batch-first sequences, with the gate equations of PyTorch
 * ({@code torch.nn.LSTM}, {@code torch.nn.GRU}):
 * <pre>
 * LSTM (gates i, f, g, o):                      GRU (gates r, z, n):
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi)          r = σ(W_ir x + b_ir + W_hr h + b_hr)
 *   f = σ(W_if x + b_if + W_hf h + b_hf)          z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   g = tanh(W_ig x + b_ig + W_hg h + b_hg)       n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   o = σ(W_io x + b_io + W_ho h + b_ho)          h' = (1 - z) ⊙ n + z ⊙ h
 *   c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')
 * </pre>
 *
 * <p>Tensors (all contiguous, row-major):
 * <ul>
 *   <li>{@code x} [N, T, In] and {@code y} [N, T, D·H] (batch first; D = 2 when bidirectional, the forward
 *       direction's h in columns [0, H), the backward direction's in [H, 2H), as PyTorch);</li>
 *   <li>{@code hy} [L·D, N, H]: the final hidden state of every layer and direction (index l·D + d; for the backward
 *       direction that is its state after reading step 0), or null when not wanted;</li>
 *   <li>{@code w}: ONE flat weight tensor in the canonical layout of {@link RnnGeometry} (PyTorch's parameter order),
 *       shared by every backend and by the saved files; device backends translate it to their library's layout;</li>
 *   <li>{@code reserve}: {@link #reserveSize} elements that forward fills in training and the two backward calls
 *       read (backend-specific contents); null in forward means inference.</li>
 * </ul>
 * The initial hidden and cell states are zero. Order in training: {@link #forward} → {@link #backwardData} →
 * {@link #backwardWeights}, all with the same reserve (as cuDNN's v8 API).
 */
public interface RnnOps {
    /** Elements of the reserve tensor that a training forward pass of this shape needs. */
    long reserveSize(RnnGeometry g, int batch, int steps);

    /**
     * Runs the network over x, writing y (and hy where not null). With a reserve, keeps what the backward calls
     * need there; with {@code reserve == null} nothing is kept (inference).
     */
    void forward(RnnGeometry g, Tensor x, Tensor w, Tensor y, Tensor hy, Tensor reserve);

    /**
     * Gradient with respect to the input: {@code dx = ∂L/∂x} (overwritten) from {@code dy} [N, T, D·H] and
     * {@code dhy} [L·D, N, H] (may be null: zero). Must follow the forward pass that filled {@code reserve}.
     */
    void backwardData(RnnGeometry g, Tensor w, Tensor y, Tensor dy, Tensor dhy, Tensor dx, Tensor reserve);

    /**
     * Gradient with respect to the flat weights, ADDED to {@code dw} (same layout as w), as cuDNN's
     * {@code CUDNN_WGRAD_MODE_ADD}. Must follow {@link #backwardData} with the same reserve.
     */
    void backwardWeights(RnnGeometry g, Tensor x, Tensor y, Tensor dw, Tensor reserve);
}

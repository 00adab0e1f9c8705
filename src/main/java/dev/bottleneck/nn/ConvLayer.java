package dev.bottleneck.nn;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Var;

import java.util.Arrays;

/**
 * What {@link Conv2d} and {@link ConvTranspose2d} share: channels, kernel, stride, padding and dilation, their checks,
 * the weight (initialised with {@code fanIn = cIn kh kw}, {@code fanOut = cOut kh kw}) and bias, and the input checks.
 */
abstract class ConvLayer extends WeightedModule {
    final int cIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW;

    /** {@code weightShape}: [cOut, cIn, kh, kw] for a convolution, [cIn, cOut, kh, kw] for a transposed one. */
    ConvLayer(String type, int[] weightShape, int cIn, int cOut, int kh, int kw, int strideH, int strideW, int padH, int padW,
              int dilH, int dilW, boolean bias, Init init) {
        super(new Parameter(init, cIn * kh * kw, cOut * kh * kw, weightShape),
                bias ? new Parameter(Init.ZEROS, cIn * kh * kw, cOut * kh * kw, cOut) : null);
        if (cIn < 1 || cOut < 1 || kh < 1 || kw < 1) {
            throw new BottleneckException(type + " needs positive channels and kernel, got " + cIn + " -> " + cOut + ", kernel " + kh + "x" + kw);
        }
        if (strideH < 1 || strideW < 1 || dilH < 1 || dilW < 1 || padH < 0 || padW < 0) {
            throw new BottleneckException(type + ": stride and dilation must be >= 1 and padding >= 0");
        }
        this.cIn = cIn;
        this.cOut = cOut;
        this.kh = kh;
        this.kw = kw;
        this.strideH = strideH;
        this.strideW = strideW;
        this.padH = padH;
        this.padW = padW;
        this.dilH = dilH;
        this.dilW = dilW;
    }

    public int inChannels() { return cIn; }
    public int outChannels() { return cOut; }

    /** Checks that x is [N, cIn, h, w]. */
    final void checkInput(Var x) {
        if (x.value().rank() != 4 || x.value().dim(1) != cIn) {
            throw new BottleneckException(describe() + " needs input [N, " + cIn + ", h, w], got " + Arrays.toString(x.shape()));
        }
    }

    /** Checks that a sample shape is [cIn, h, w]. */
    final void checkSample(int[] inputShape) {
        if (inputShape.length != 3 || inputShape[0] != cIn) {
            throw new BottleneckException(describe() + " needs samples of shape [" + cIn + ", h, w], got " + Arrays.toString(inputShape));
        }
    }
}

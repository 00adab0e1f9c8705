package dev.bottleneck.apps;

import dev.bottleneck.BottleneckException;

/**
 * Training settings of the image-to-image applications ({@link Segmentation}, {@link SuperResolution}): the
 * width of their convolutions, epochs, batch, Adam's learning rate and the seed.
 */
public record ConvTaskConfig(int channels, int epochs, int batch, double lr, long seed) {
    public ConvTaskConfig {
        if (channels < 1) throw new BottleneckException("--channels must be at least 1");
        if (epochs < 1) throw new BottleneckException("--epochs must be at least 1");
        if (batch < 1) throw new BottleneckException("--batch must be at least 1");
        if (!(lr > 0)) throw new BottleneckException("--lr must be positive");
    }
}

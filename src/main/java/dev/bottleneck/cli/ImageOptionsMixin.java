package dev.bottleneck.cli;

import dev.bottleneck.data.ImageFolderReader;
import picocli.CommandLine.Option;

/** How a folder of images is read: size, channels and the background under transparent pixels. Shared by train, shard, compare-pca. */
final class ImageOptionsMixin {
    @Option(names = "--image-size", paramLabel = "HxW", description = "Resize the images of an image folder to this size (default: the first image's).")
    String imageSize;

    @Option(names = "--channels", defaultValue = "0", paramLabel = "1|3|4",
            description = "Image folder channels: 1 gray, 3 RGB, 4 RGB and alpha (default: 1 when every image is gray, else 3).")
    int channels;

    @Option(names = "--background", defaultValue = "white", paramLabel = "white|black|R,G,B",
            description = "Colour that images with transparency (PNG/GIF alpha) are composited onto before scaling, as image viewers"
                    + " show them (default: ${DEFAULT-VALUE}); with --channels 4 the alpha is kept as a fourth channel too.")
    String background;

    ImageFolderReader.Options options() {
        ImageFolderReader.Options o = imageSize != null ? ImageFolderReader.Options.parseSize(imageSize, channels)
                : new ImageFolderReader.Options(channels, 0, 0);
        return o.withBackground(ImageFolderReader.parseBackground(background == null ? "white" : background));
    }
}

package dev.bottleneck.cli;

import dev.bottleneck.Limits;
import dev.bottleneck.UsageException;
import dev.bottleneck.data.CsvReader;
import dev.bottleneck.data.ImageFolderReader;
import dev.bottleneck.data.TimeSeriesReader;
import dev.bottleneck.data.shard.ByteSize;
import dev.bottleneck.data.shard.ShardConverter;
import dev.bottleneck.data.shard.ShardManifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "shard", defaultValueProvider = CommandDefaults.class, mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Convert a data set into a shard directory: NumPy .npy shards plus manifest.json (sample shape, dtype, samples"
                + " and SHA-256 per shard, labels, scaler statistics of the training split). train, eval, encode, detect and index read"
                + " it streamed, with bounded memory. The splits are those 'train' uses on the same data and --seed.",
                "Examples:",
                "  bottleneck shard mnist --out shards/mnist",
                "  bottleneck shard photos/ --image-size 64x64 --channels 3 --out shards/photos --shard-size 1GB",
                "  bottleneck shard table.csv --csv-label class --out shards/table",
                "  bottleneck shard series.csv --series --window 32 --stride 4 --timestamp time --out shards/series"})
final class ShardCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "INPUT",
            description = "mnist, fashion-mnist, IDX files, a folder of images, a CSV table, or with --series a CSV time series.")
    String input;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "New (or empty) folder for the shards.")
    Path out;

    @Option(names = "--shard-size", defaultValue = "256MB", paramLabel = "SIZE",
            description = "Sample bytes per shard, e.g. 64MB, 1GB (default: ${DEFAULT-VALUE}).")
    String shardSize;

    @Option(names = "--dtype", paramLabel = "u8|f16|f32",
            description = "Stored type: u8 (images, scaled by 1/255 when read), f16 or f32 (default: u8 for IDX and images, f32 otherwise).")
    String dtype;

    @Mixin SeedOption seedOption;

    @Mixin DataFolderOption dataFolder;

    @Mixin InputFormatOptions format;

    @Mixin JsonOption jsonOption;

    @Option(names = "--series", description = "INPUT is a time series (CSV): write sliding windows of --window steps.")
    boolean series;

    @Range(min = 2)
    @Option(names = "--window", defaultValue = "16", description = "Series: window length in steps (default: ${DEFAULT-VALUE}).")
    int window;

    @Range(min = 1)
    @Option(names = "--stride", defaultValue = "4", description = "Series: steps between windows (default: ${DEFAULT-VALUE}).")
    int stride;

    @Range(min = 0, max = 1, minExclusive = true, maxExclusive = true)
    @Option(names = "--train-fraction", defaultValue = "0.8",
            description = "Series: the first fraction of every series is the train split, the rest test (default: ${DEFAULT-VALUE}).")
    double trainFraction;

    @Option(names = "--timestamp", description = "Series: timestamp column.")
    String timestamp;

    @Option(names = "--label", description = "Series: 0/1 label column (a window's label is 1 when any of its rows is).")
    String label;

    @Option(names = "--group", description = "Series: group column (one series per value).")
    String group;

    @Option(names = "--skip-columns", split = ",", description = "Series: columns that are not features.")
    List<String> skip = List.of();

    @Override
    public Integer call() {
        Log log = new Log(spec.commandLine().getErr(), false);
        long bytes;
        try {
            bytes = ByteSize.parse(shardSize);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--shard-size: " + e.getMessage());
        }
        if (bytes < 1) throw new UsageException("--shard-size must be positive, got " + shardSize);
        ShardManifest.StoredType t;
        try {
            t = dtype == null ? null : ShardManifest.StoredType.parse(dtype);
        } catch (dev.bottleneck.BottleneckException e) {
            throw new UsageException("--dtype: " + e.getMessage());
        }
        if (format.idColumn != null) {
            // a sample of a shard directory is known by its split and position (see the README, "Identity in the outputs")
            throw new UsageException("--id-column: shard directories store no ids; skip the column with --csv-skip " + format.idColumn
                    + ", or train on the CSV file itself to keep its ids in the outputs");
        }
        CsvReader.Options csv = !series && format.csvGiven() ? format.csv() : null;
        ImageFolderReader.Options images = format.images();
        ShardConverter.Series ser = null;
        if (series) {
            TimeSeriesReader.Options o = TimeSeriesReader.Options.defaults().withTimestamp(timestamp).withLabel(label).withGroup(group)
                    .withSkip(TimeSeriesReader.names(skip.toArray(String[]::new)));
            ser = new ShardConverter.Series(o, window, stride, trainFraction);
        }
        ShardConverter.Report r = ShardConverter.convert(input, out,
                new ShardConverter.Options(bytes, t, seedOption.seed, dataFolder.dir, csv, images, ser), log::info);
        ShardManifest m = r.manifest();
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("out", out.toString());
        res.put("name", m.name());
        res.put("sample_shape", java.util.Arrays.stream(m.sampleShape()).boxed().toList());
        res.put("dtype", m.dtype().key);
        for (ShardManifest.Split s : m.splits().values()) {
            res.put(s.name() + "_samples", s.samples());
            res.put(s.name() + "_shards", s.shards().size());
        }
        res.put("labels", m.split("train").hasLabels());
        res.put("bytes", r.bytes());
        res.put("seconds", Math.round(r.seconds() * 10) / 10.0);
        PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, String.format(Locale.ROOT, "wrote %s (%s, %s) to %s in %.1fs: %s",
                m.name(), m.dtype().key, Limits.bytes(r.bytes()), out, r.seconds(), ShardConverter.describe(m)));
        return 0;
    }
}

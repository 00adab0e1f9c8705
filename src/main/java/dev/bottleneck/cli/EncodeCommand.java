package dev.bottleneck.cli;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.io.AtomicFiles;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "encode", mixinStandardHelpOptions = true,
        description = {"Write the codes of a data split as CSV (one row per sample: index, label if known, code values), or as NumPy "
                        + "float32 [n, code] when --out ends in .npy (labels then go to NAME.labels.npy as int64).",
                "Example: bottleneck encode runs/w1 --out codes.csv"})
final class EncodeCommand extends ModelCommandBase implements Callable<Integer> {
    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "CSV file to write.")
    Path out;

    @Range(min = 1)
    @Option(names = "--limit", description = "Only the first N samples.")
    Integer limit;

    @Range(min = 1)
    @Option(names = {"-b", "--batch"}, defaultValue = "1000", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Override
    public Integer call() {
        Log log = log();
        try (Session s = open(log)) {
            Autoencoder m = s.loaded().model();
            Dataset d = s.data().split(split);
            int n = limit == null ? d.n() : Math.min(limit, d.n());
            int f = d.features(), c = m.codeFeatures();
            StringBuilder sb = new StringBuilder(n * (c * 12 + 8));
            sb.append("index");
            if (d.hasLabels()) sb.append(",label");
            for (int j = 0; j < c; j++) sb.append(",z").append(j);
            sb.append('\n');
            var be = s.backend();
            boolean npy = out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy");
            float[] all = npy ? new float[n * c] : null;
            for (int from = 0; from < n; from += batch) {
                int b = Math.min(batch, n - from);
                float[] codes;
                try (Graph g = Graph.inference(be)) {
                    Tensor x = g.temp(b, f);
                    be.memory().upload(d.x(), from * f, x);
                    codes = be.memory().toFloatArray(m.encode(g, g.constant(x)).value());
                }
                if (npy) {   // NumPy output: codes as float32 [n, c]; labels beside them as int64 [n]
                    System.arraycopy(codes, 0, all, from * c, b * c);
                    continue;
                }
                for (int i = 0; i < b; i++) {
                    sb.append(from + i);
                    if (d.hasLabels()) sb.append(',').append(d.label(from + i));
                    for (int j = 0; j < c; j++) sb.append(',').append(codes[i * c + j]);
                    sb.append('\n');
                }
            }
            if (npy) {
                dev.bottleneck.io.Npy.writeFloat32(out, all, n, c);
                if (d.hasLabels()) {
                    long[] labels = new long[n];
                    for (int i = 0; i < n; i++) labels[i] = d.label(i);
                    String name = out.getFileName().toString();
                    AtomicFiles.writeBytes(out.resolveSibling(name.substring(0, name.length() - 4) + ".labels.npy"),
                            dev.bottleneck.io.Npy.int64(labels, n));
                }
            } else {
                AtomicFiles.writeString(out, sb.toString());
            }
            spec.commandLine().getOut().println(String.format(Locale.ROOT, "wrote %d codes of %d values to %s", n, c, out));
            return 0;
        }
    }
}

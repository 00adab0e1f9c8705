package dev.bottleneck.cli;

import dev.bottleneck.data.ClassNames;
import dev.bottleneck.data.shard.Samples;
import dev.bottleneck.data.shard.StreamedModelOps;
import dev.bottleneck.io.AtomicFiles;
import dev.bottleneck.io.CsvText;
import dev.bottleneck.model.Autoencoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "encode", mixinStandardHelpOptions = true,
        description = {"Write the codes of a data split as CSV (one row per sample: index, id if known, label if known - the class name"
                        + " where the classes have names -, code values), or as NumPy float32 [n, code] when --out ends in .npy (labels"
                        + " then go to NAME.labels.npy as int64, class names to NAME.classes.txt, line i naming label i, ids to"
                        + " NAME.ids.json as a JSON array of strings).",
                "The id is a sample's identity: a table's --id-column (else its line in the file), an image's path in its folder.",
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

    @Mixin StreamOptionsMixin streamOptions;

    @Override
    public Integer call() {
        Log log = log();
        try (DataSession s = openData(log, streamOptions)) {
            Autoencoder m = s.loaded().model();
            Samples d = s.samples(split);
            int n = limit == null ? d.size() : Math.min(limit, d.size());
            int c = m.codeFeatures();
            ClassNames classes = s.classes();
            // in-memory data needs no loader thread; streamed data is read ahead while the model encodes
            StreamedModelOps.Loading loading = s.streamed() != null ? streamOptions.loading() : new StreamedModelOps.Loading(0, 1);
            boolean npy = out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy");
            // the codes go to the file batch by batch, so the output is never held whole
            if (npy) {   // NumPy output: codes as float32 [n, c]; labels beside them as int64 [n]
                AtomicFiles.write(out, os -> {
                    os.write(dev.bottleneck.data.shard.NpyHeader.bytes("<f4", new long[] {n, c}));
                    ByteBuffer b = ByteBuffer.allocate(4 * c * Math.min(batch, Math.max(n, 1))).order(ByteOrder.LITTLE_ENDIAN);
                    java.io.IOException[] err = new java.io.IOException[1];
                    StreamedModelOps.encode(m, d, n, batch, loading, (from, count, codes) -> {
                        if (err[0] != null) return;
                        b.clear();
                        for (int i = 0; i < count * c; i++) b.putFloat(codes[i]);
                        try {
                            os.write(b.array(), 0, b.position());
                        } catch (java.io.IOException e) {
                            err[0] = e;
                        }
                    });
                    if (err[0] != null) throw err[0];
                });
                String stem = out.getFileName().toString().substring(0, out.getFileName().toString().length() - 4);
                if (d.hasIds()) {
                    List<String> ids = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) ids.add(d.id(i));
                    AtomicFiles.writeString(out.resolveSibling(stem + ".ids.json"), dev.bottleneck.io.Json.writeCompact(ids) + "\n");
                }
                if (d.hasLabels()) {
                    if (classes.named()) {
                        AtomicFiles.writeString(out.resolveSibling(stem + ".classes.txt"), String.join("\n", classes.names()) + "\n");
                    }
                    AtomicFiles.write(out.resolveSibling(stem + ".labels.npy"), os -> {
                        os.write(dev.bottleneck.data.shard.NpyHeader.bytes("<i8", new long[] {n}));
                        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                        for (int i = 0; i < n; i++) {
                            b.clear();
                            b.putLong(d.label(i));
                            os.write(b.array());
                        }
                    });
                }
            } else {
                AtomicFiles.write(out, os -> {
                    BufferedWriter w = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8), 1 << 16);
                    StringBuilder head = new StringBuilder("index");
                    if (d.hasIds()) head.append(",id");
                    if (d.hasLabels()) head.append(",label");
                    for (int j = 0; j < c; j++) head.append(",z").append(j);
                    w.write(head.append('\n').toString());
                    java.io.IOException[] err = new java.io.IOException[1];
                    StreamedModelOps.encode(m, d, n, batch, loading, (from, count, codes) -> {
                        StringBuilder sb = new StringBuilder(count * (c * 12 + 8));
                        for (int i = 0; i < count; i++) {
                            sb.append(from + i);
                            if (d.hasIds()) sb.append(',').append(CsvText.field(d.id(from + i)));
                            if (d.hasLabels()) sb.append(',').append(classes.csvCell(d.label(from + i)));
                            for (int j = 0; j < c; j++) sb.append(',').append(codes[i * c + j]);
                            sb.append('\n');
                        }
                        try {
                            if (err[0] == null) w.write(sb.toString());
                        } catch (java.io.IOException e) {
                            err[0] = e;
                        }
                    });
                    if (err[0] != null) throw err[0];
                    w.flush();
                });
            }
            spec.commandLine().getOut().println(String.format(Locale.ROOT, "wrote %d codes of %d values to %s", n, c, out));
            return 0;
        }
    }
}

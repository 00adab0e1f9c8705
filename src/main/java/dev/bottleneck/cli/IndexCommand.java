package dev.bottleneck.cli;

import dev.bottleneck.apps.ModelOps;
import dev.bottleneck.data.shard.Samples;
import dev.bottleneck.data.shard.StreamedModelOps;
import dev.bottleneck.io.Safetensors;
import dev.bottleneck.io.Safetensors.TensorData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "index", mixinStandardHelpOptions = true,
        description = {"Build a similarity-search index of a data split: a safetensors file with the codes (f32 [n, code]), "
                + "the labels and the row numbers (i64), and the model directory, data and split in its metadata, with the samples'"
                + " ids (a table's --id-column or line, an image's path) as a JSON array under 'ids'.",
                "Example: bottleneck index runs/w1 --split train --out index.safetensors"})
final class IndexCommand extends ModelCommandBase implements Callable<Integer> {
    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE.safetensors") Path out;
    @Range(min = 1)
    @Option(names = "--limit", description = "Only the first N samples.") Integer limit;
    @Mixin JsonOption jsonOption;
    @picocli.CommandLine.Mixin StreamOptionsMixin streamOptions;

    @Override
    public Integer call() {
        try (DataSession s = openData(log(), streamOptions)) {
            Samples d = s.samples(split);
            int n = limit == null ? d.size() : Math.min(limit, d.size());
            int c = s.loaded().model().codeFeatures();
            dev.bottleneck.Limits.checkHeap(4L * n * c, "the index of " + n + " codes of " + c + " values");
            float[] codes = new float[Math.multiplyExact(n, c)];
            // ModelOps.encode's batches, so streamed and in-memory data give the same codes
            StreamedModelOps.encode(s.loaded().model(), d, n, ModelOps.BATCH,
                    s.streamed() != null ? streamOptions.loading() : new StreamedModelOps.Loading(0, 1),
                    (from, count, z) -> System.arraycopy(z, 0, codes, from * c, count * c));
            Map<String, TensorData> t = new LinkedHashMap<>();
            t.put("codes", TensorData.f32(new long[] {n, c}, codes));
            long[] rows = new long[n];
            for (int i = 0; i < n; i++) rows[i] = i;
            t.put("rows", TensorData.i64(new long[] {n}, rows));
            if (d.hasLabels()) {
                long[] labels = new long[n];
                for (int i = 0; i < n; i++) labels[i] = d.label(i);
                t.put("labels", TensorData.i64(new long[] {n}, labels));
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "bottleneck-index");
            meta.put("model_dir", modelDir.toAbsolutePath().toString());
            meta.put("data", s.source());
            if (dataset != null) meta.put("dataset_override", dataset);
            if (d.hasIds()) {
                java.util.List<String> ids = new java.util.ArrayList<>(n);
                for (int i = 0; i < n; i++) ids.add(d.id(i));
                meta.put("ids", dev.bottleneck.io.Json.writeCompact(ids));
            }
            meta.put("split", split);
            Safetensors.write(out, t, meta);
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("samples", n);
            res.put("code_features", c);
            res.put("out", out.toString());
            PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on,
                    String.format(Locale.ROOT, "indexed %d codes of %d values from %s/%s into %s", n, c, s.source(), split, out));
            return 0;
        }
    }
}

package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.apps.ModelOps;
import dev.bottleneck.apps.NearestNeighbours;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.ClassNames;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.io.ImageGrid;
import dev.bottleneck.io.Safetensors;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.train.Checkpoint;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "search", mixinStandardHelpOptions = true,
        description = {"Nearest neighbours in code space: the k indexed samples closest to a query (a sample of the query split, "
                + "or a CSV row of raw values), by cosine or Euclidean distance; a PNG strip for images. With --eval N, "
                + "precision@k by label over the first N query samples, next to the same search on raw inputs.",
                "Example: bottleneck search index.safetensors --query 7 --k 8 --out strip.png",
                "Example: bottleneck search index.safetensors --eval 1000 --k 10 --json"})
final class SearchCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin BackendOptionsMixin backendOptions;

    @Parameters(index = "0", paramLabel = "INDEX", description = "An index written by 'bottleneck index'.") Path index;
    @Range(min = 0)
    @Option(names = "--query", paramLabel = "I", description = "Index of the query sample in --query-split.") Integer query;
    @Option(names = "--query-row", paramLabel = "V,V,...", description = "A query given as raw (unscaled) CSV values.") String queryRow;
    @Option(names = "--query-split", defaultValue = "test", description = "Split the queries come from (default: ${DEFAULT-VALUE}).")
    String querySplit;
    @Range(min = 1)
    @Option(names = "--k", defaultValue = "10") int k;
    @Option(names = "--metric", defaultValue = "cosine", description = "cosine or euclidean (default: ${DEFAULT-VALUE}).") String metric;
    @Range(min = 1)
    @Option(names = "--eval", paramLabel = "N", description = "Mean precision@k over the first N query samples (codes vs raw inputs).")
    Integer eval;
    @Option(names = {"-o", "--out"}, paramLabel = "FILE.png", description = "PNG strip: the query, then its k neighbours.") Path out;
    @Mixin JsonOption jsonOption;

    @Override
    public Integer call() {
        Log log = new Log(spec.commandLine().getErr(), false);
        Safetensors.Loaded idx = Safetensors.read(index);
        if (!"bottleneck-index".equals(idx.metadata().get("format"))) {
            throw new BottleneckException(index + ": not an index written by 'bottleneck index'");
        }
        Path modelDir = Path.of(idx.metadata().get("model_dir"));
        float[] codes = idx.require("codes").asFloats();
        long[] shape = idx.require("codes").shape();
        int n = (int) shape[0], c = (int) shape[1];
        int[] rows = toInt(idx.require("rows").i64());
        int[] labels = idx.tensors().containsKey("labels") ? toInt(idx.require("labels").i64()) : null;
        String[] ids = ids(idx.metadata().get("ids"), n);
        NearestNeighbours.Metric m = NearestNeighbours.Metric.parse(metric);
        if (query == null && queryRow == null && eval == null) throw new BottleneckException("give --query I, --query-row V,V,... or --eval N");
        PreparedData pd = PreparedData.fromConfig(Checkpoint.readConfig(modelDir), idx.metadata().get("dataset_override"), null);
        Dataset base = pd.split(idx.metadata().getOrDefault("split", "train"));
        Dataset qs = pd.split(querySplit);
        ClassNames classes = pd.classes();
        NearestNeighbours nn = new NearestNeighbours(codes, n, c, m);
        boolean selfQuery = querySplit.equalsIgnoreCase(idx.metadata().getOrDefault("split", "train"));
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("index", index.toString());
        res.put("indexed", n);
        res.put("metric", m.name().toLowerCase(Locale.ROOT));
        res.put("k", k);
        StringBuilder sentence = new StringBuilder();
        try (Backend be = backendOptions.create(log); Autoencoder model = Checkpoint.load(modelDir, be).model()) {
            if (model.codeFeatures() != c) throw new BottleneckException(index + " holds codes of " + c + " values, the model makes " + model.codeFeatures());
            if (query != null || queryRow != null) {
                float[] q;
                Integer qLabel = null;
                if (query != null) {
                    if (query < 0 || query >= qs.n()) throw new BottleneckException("--query " + query + " is outside 0.." + (qs.n() - 1));
                    q = qs.row(query);
                    if (qs.hasLabels()) qLabel = qs.label(query);
                    if (qs.hasIds()) res.put("query_id", qs.ids()[query]);
                } else {
                    q = pd.scaler().transform(parseRow(queryRow, base.features()));
                }
                float[] qc = ModelOps.encode(model, q, 1);
                NearestNeighbours.Hit[] hits = nn.search(qc, 0, k, selfQuery && query != null ? query : -1);
                List<Map<String, Object>> list = new ArrayList<>();
                for (NearestNeighbours.Hit h : hits) {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("row", rows[h.row()]);
                    if (ids != null) e.put("id", ids[h.row()]);
                    if (labels != null) e.put("label", classes.value(labels[h.row()]));
                    e.put("distance", h.distance());
                    list.add(e);
                }
                res.put("query", query != null ? query : queryRow);
                if (qLabel != null) res.put("query_label", classes.value(qLabel));
                res.put("neighbours", list);
                sentence.append(String.format(Locale.ROOT, "%d nearest of %s: rows %s", hits.length, query != null ? "sample " + query : "the row",
                        Arrays.toString(Arrays.stream(hits).mapToInt(h -> rows[h.row()]).toArray())));
                if (ids != null) {
                    sentence.append(" ids ").append(Arrays.stream(hits).map(h -> ids[h.row()]).toList());
                }
                if (labels != null) {
                    sentence.append(" labels ").append(Arrays.stream(hits).map(h -> classes.name(labels[h.row()]))
                            .collect(java.util.stream.Collectors.joining(", ", "[", "]")));
                    if (qLabel != null) sentence.append(" (the query's: ").append(classes.name(qLabel)).append(')');
                }
                int[] shp = base.sampleShape();
                if (out != null && shp.length == 3) {
                    float[][] strip = new float[hits.length + 1][];
                    strip[0] = q;
                    for (int i = 0; i < hits.length; i++) strip[i + 1] = base.row(rows[hits[i].row()]);
                    ImageGrid.writeRows(out, java.util.Collections.singletonList(strip), shp[0], shp[1], shp[2], 3, 0, 1);
                    res.put("picture", out.toString());
                    sentence.append("; strip ").append(out);
                }
            }
            if (eval != null) {
                if (labels == null || !qs.hasLabels()) throw new BottleneckException("--eval needs labels in the index and the query split");
                int qn = Math.min(eval, qs.n());
                float[] qc = ModelOps.encode(model, qs.x(), qn);
                int[] ql = Arrays.copyOf(qs.labels(), qn);
                double pCode = nn.precisionAtK(qc, ql, qn, labels, k, selfQuery);
                float[] raw = new float[n * base.features()];
                for (int i = 0; i < n; i++) System.arraycopy(base.x(), rows[i] * base.features(), raw, i * base.features(), base.features());
                double pRaw = new NearestNeighbours(raw, n, base.features(), m).precisionAtK(qs.x(), ql, qn, labels, k, selfQuery);
                res.put("queries", qn);
                res.put("precision_at_k_codes", pCode);
                res.put("precision_at_k_raw", pRaw);
                if (sentence.length() > 0) sentence.append("; ");
                sentence.append(String.format(Locale.ROOT, "precision@%d over %d queries (%s): codes (%d) %.4f, raw inputs (%d) %.4f", k, qn,
                        m.name().toLowerCase(Locale.ROOT), c, pCode, base.features(), pRaw));
            }
        }
        PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, sentence.toString());
        return 0;
    }

    /** The ids 'index' stored in the metadata (a JSON array of n strings), or null when it stored none. */
    private String[] ids(String json, int n) {
        if (json == null) return null;
        List<?> l;
        try {
            l = dev.bottleneck.io.Json.mapper().readValue(json, List.class);
        } catch (java.io.IOException | RuntimeException e) {
            throw new BottleneckException(index + ": the metadata 'ids' is not a JSON array; rebuild the index with 'bottleneck index'");
        }
        if (l == null || l.size() != n) {
            throw new BottleneckException(index + ": the metadata 'ids' holds " + (l == null ? 0 : l.size()) + " ids for " + n
                    + " codes; rebuild the index with 'bottleneck index'");
        }
        return l.stream().map(String::valueOf).toArray(String[]::new);
    }

    private static int[] toInt(long[] v) {
        return Arrays.stream(v).mapToInt(Math::toIntExact).toArray();
    }

    static float[] parseRow(String s, int features) {
        String[] p = s.split(",");
        if (p.length != features) throw new BottleneckException("--query-row has " + p.length + " values, the data has " + features);
        float[] v = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            try {
                v[i] = Float.parseFloat(p[i].trim());
            } catch (NumberFormatException e) {
                throw new BottleneckException("--query-row value " + (i + 1) + " ('" + p[i] + "') is not a number");
            }
        }
        return v;
    }
}

package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.apps.ClusterMetrics;
import dev.bottleneck.apps.KMeans;
import dev.bottleneck.apps.ModelOps;
import dev.bottleneck.data.Dataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "cluster", defaultValueProvider = CommandDefaults.class, mixinStandardHelpOptions = true,
        description = {"k-means (k-means++ initialisation, seeded) on the codes of a data split, scored by purity and NMI against "
                + "the labels, next to k-means on the raw inputs.",
                "Example: bottleneck cluster runs/w1 --k 10 --limit 5000"})
final class ClusterCommand extends ModelCommandBase implements Callable<Integer> {
    @Range(min = 1)
    @Option(names = "--k", defaultValue = "10", description = "Clusters (default: ${DEFAULT-VALUE}).") int k;
    @Range(min = 1)
    @Option(names = "--limit", defaultValue = "5000", description = "Samples (default: ${DEFAULT-VALUE}).") int limit;
    @Range(min = 1)
    @Option(names = "--iterations", defaultValue = "100") int iterations;
    @Mixin SeedOption seedOption;
    @Mixin JsonOption jsonOption;
    @Option(names = "--no-raw", description = "Skip the raw-input baseline.") boolean noRaw;

    @Override
    public Integer call() {
        try (Session s = open(log())) {
            Dataset d = s.data().split(split);
            if (!d.hasLabels()) throw new BottleneckException("cluster needs labelled data to score purity and NMI");
            int n = Math.min(limit, d.n());
            var model = s.loaded().model();
            int c = model.codeFeatures();
            int[] y = java.util.Arrays.copyOf(d.labels(), n);
            KMeans.Result kc = KMeans.fit(ModelOps.encode(model, d.x(), n), n, c, k, seedOption.seed, iterations);
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("samples", n);
            res.put("k", k);
            res.put("code_purity", ClusterMetrics.purity(kc.assignment(), y));
            res.put("code_nmi", ClusterMetrics.nmi(kc.assignment(), y));
            String raw = "";
            if (!noRaw) {
                KMeans.Result kr = KMeans.fit(d.x(), n, d.features(), k, seedOption.seed, iterations);
                res.put("raw_purity", ClusterMetrics.purity(kr.assignment(), y));
                res.put("raw_nmi", ClusterMetrics.nmi(kr.assignment(), y));
                raw = String.format(Locale.ROOT, "; raw inputs: purity %.4f, NMI %.4f", res.get("raw_purity"), res.get("raw_nmi"));
            }
            PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, String.format(Locale.ROOT,
                    "k-means (k=%d) on %d samples of %s/%s: codes (%d): purity %.4f, NMI %.4f%s", k, n, s.data().source(), split, c,
                    res.get("code_purity"), res.get("code_nmi"), raw));
            return 0;
        }
    }
}

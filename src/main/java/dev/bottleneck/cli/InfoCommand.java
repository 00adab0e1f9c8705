package dev.bottleneck.cli;

import dev.bottleneck.backend.Availability;
import dev.bottleneck.backend.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Which backends load on this machine, library versions, and why CUDA is not used when it is not.")
final class InfoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin JsonOption jsonOption;

    @Override
    public Integer call() {
        Map<String, Availability> all = Backends.probeAll();
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("version", Main.VERSION);
        res.put("java", System.getProperty("java.version"));
        res.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        Map<String, Object> backends = new LinkedHashMap<>();
        String auto = null;
        for (Map.Entry<String, Availability> e : all.entrySet()) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("available", e.getValue().available());
            if (!e.getValue().available()) b.put("reason", e.getValue().reason());
            b.putAll(e.getValue().details());
            backends.put(e.getKey(), b);
            if (auto == null && e.getValue().available()) auto = e.getKey();
        }
        if (!all.containsKey("cuda")) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("available", false);
            b.put("reason", "this build has no CUDA backend on its class path");
            backends.put("cuda", b);
        }
        res.put("backends", backends);
        res.put("auto", auto);
        String env = System.getenv(Backends.ENV);
        res.put("BOTTLENECK_BACKEND", env);
        PrintWriter out = spec.commandLine().getOut();
        if (jsonOption.on) {
            out.println(dev.bottleneck.io.Json.writeCompact(res));
        } else {
            out.println("bottleneck " + Main.VERSION + " on Java " + res.get("java") + ", " + res.get("os"));
            for (Map.Entry<String, Object> e : backends.entrySet()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> b = (Map<String, Object>) e.getValue();
                boolean ok = Boolean.TRUE.equals(b.get("available"));
                out.println(String.format("  %-5s %s", e.getKey(), ok ? "available" : "not available: " + b.get("reason")));
                for (Map.Entry<String, Object> d : b.entrySet()) {
                    if (d.getKey().equals("available") || d.getKey().equals("reason")) continue;
                    out.println(String.format("        %-18s %s", d.getKey(), d.getValue()));
                }
            }
            out.println("  --backend auto picks: " + auto);
            if (env != null && !env.isBlank()) {
                out.println("  BOTTLENECK_BACKEND=" + env + ": commands without --backend use " + env.trim()
                        + (env.trim().equalsIgnoreCase("auto") || env.trim().equalsIgnoreCase(auto) ? "" : " (not auto's choice)"));
            }
        }
        out.flush();
        return 0;
    }
}

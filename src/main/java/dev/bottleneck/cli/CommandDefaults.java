package dev.bottleneck.cli;

import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.lang.reflect.Field;
import java.util.Map;
import java.util.Set;

/**
 * The defaults of the options that several commands share through mixins ({@link SeedOption}, {@link LoopOptions},
 * {@link StepOptions}, {@link ImageTaskOptions}) but whose default differs per command: one table, read by picocli both when it parses a
 * command line and when it renders {@code --help} (so {@code ${DEFAULT-VALUE}} shows the command's own value).
 * A command that uses one of these mixins names this class as its {@code defaultValueProvider}; a mixin option
 * without an entry here is a programming error that {@code --help} of that command already reports.
 */
public final class CommandDefaults implements IDefaultValueProvider {
    private static final Set<Class<?>> PER_COMMAND = Set.of(SeedOption.class, LoopOptions.class, StepOptions.class, ImageTaskOptions.class);

    private static final Map<String, Map<String, String>> TABLE = Map.ofEntries(
            Map.entry("train", Map.of("--seed", "42", "--epochs", "10", "--validation", "0.1")),
            Map.entry("segment", Map.of("--seed", "42", "--epochs", "3", "--validation", "0", "--batch", "16", "--lr", "0.01",
                    "--train", "3000", "--test", "500", "--channels", "16", "--count", "8")),
            Map.entry("upscale", Map.of("--seed", "42", "--epochs", "3", "--validation", "0", "--batch", "32", "--lr", "0.002",
                    "--train", "5000", "--test", "1000", "--channels", "16", "--count", "10")),
            Map.entry("autorec", Map.of("--seed", "42", "--epochs", "8", "--validation", "0", "--batch", "64", "--lr", "0.001")),
            Map.entry("one-class", Map.of("--seed", "42", "--epochs", "5", "--batch", "128", "--lr", "1e-3")),
            Map.entry("shard", Map.of("--seed", "42")),
            Map.entry("cluster", Map.of("--seed", "42")),
            Map.entry("probe", Map.of("--seed", "42")),
            Map.entry("impute", Map.of("--seed", "7")),
            Map.entry("inpaint", Map.of("--seed", "7")),
            Map.entry("denoise", Map.of("--seed", "1234")),
            Map.entry("sample", Map.of("--seed", "0")),
            Map.entry("detect", Map.of("--seed", "7")));

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec o) || !(o.userObject() instanceof Field f) || !PER_COMMAND.contains(f.getDeclaringClass())) {
            return null; // the option's own annotation says
        }
        String command = arg.command().name();
        String v = TABLE.getOrDefault(command, Map.of()).get(o.longestName());
        if (v == null && !o.longestName().equals("--progress")) {
            throw new IllegalStateException("no default for " + o.longestName() + " of '" + command + "': add one to CommandDefaults");
        }
        return v;
    }
}

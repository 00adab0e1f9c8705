package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.UsageException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.lang.reflect.Field;

/** The {@code bottleneck} command line. */
@Command(name = "bottleneck", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train autoencoders on a GPU (CUDA) or the CPU, and use them: encode, reconstruct, evaluate.",
        subcommands = {TrainCommand.class, ShardCommand.class, EvalCommand.class, EncodeCommand.class, ReconstructCommand.class,
                DenoiseCommand.class, ComparePcaCommand.class,
                SampleCommand.class, InterpolateCommand.class, LatentMapCommand.class,
                DetectCommand.class, ScoreCommand.class, OneClassCommand.class, InpaintCommand.class, ImputeCommand.class, IndexCommand.class,
                SearchCommand.class, PlotLatentCommand.class, ProbeCommand.class, ClusterCommand.class, CompressCommand.class,
                DecompressCommand.class, AutoRecCommand.class, RecommendCommand.class, UpscaleCommand.class, SegmentCommand.class, InfoCommand.class, SummaryCommand.class, LaunchCommand.class, ExportCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final String VERSION = "0.1.0";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: try 'bottleneck --help'");
    }

    public static void main(String[] args) {
        int rc;
        try {
            rc = run(args);
        } catch (OutOfMemoryError e) { // thrown before picocli's streams were set up (or while printing)
            System.err.println(outOfMemory(e));
            rc = 1;
        } catch (Throwable t) { // an Error escaping picocli's handlers (a missing JDK module, a native crash report)
            System.err.println("internal error: " + t + (System.getenv("BOTTLENECK_DEBUG") == null
                    ? " (set BOTTLENECK_DEBUG=1 for the stack trace, and please report it)" : ""));
            if (System.getenv("BOTTLENECK_DEBUG") != null) t.printStackTrace();
            rc = 70;
        }
        System.exit(rc);
    }

    /** Runs the CLI and returns its exit code (tests call this directly). */
    public static int run(String... args) {
        CommandLine cl = commandLine();
        return execute(cl, args);
    }

    /** Runs the CLI with its output and error streams redirected (for tests and embedding). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        int rc = execute(cl, args);
        out.flush();
        err.flush();
        return rc;
    }

    /**
     * picocli passes exceptions to the handlers below but lets Errors through; running out of memory is the one
     * Error an input can cause (a data set or a model too large for the heap), so it is reported here.
     */
    static int execute(CommandLine cl, String[] args) {
        // the top level takes only --help/--version, so its first other argument names the command; picocli would
        // let a --help after an unknown name print the top-level help and exit 0
        for (String a : args) {
            if (a.startsWith("-")) continue;
            if (!cl.getSubcommands().containsKey(a)) {
                cl.getErr().println("error: unknown command '" + a + "' (see 'bottleneck --help' for the commands)");
                cl.getErr().flush();
                return 2;
            }
            break;
        }
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            cl.getErr().println(outOfMemory(e));
            cl.getErr().flush();
            return 1;
        }
    }

    static String outOfMemory(OutOfMemoryError e) {
        return "error: out of Java heap memory (" + e.getMessage() + "): reduce --batch or raise -Xmx via JAVA_OPTS";
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        // everything after the command a launch runs belongs to that command
        cl.getSubcommands().get("launch").setStopAtPositional(true);
        // NaN and infinity are never a sensible option value
        cl.registerConverter(Double.class, Main::finiteDouble);
        cl.registerConverter(double.class, Main::finiteDouble);
        cl.setExecutionStrategy(parsed -> {
            Integer help = CommandLine.executeHelpRequest(parsed);   // --help and --version never need valid options
            if (help != null) return help;
            checkRanges(parsed);
            return new CommandLine.RunLast().execute(parsed);
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("error: " + String.valueOf(ex.getMessage()).strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ")
                    + " (see 'bottleneck " + commandPath(ex.getCommandLine()) + "--help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            Throwable t = ex;
            if (t instanceof UsageException) {
                err.println("error: " + t.getMessage() + " (see 'bottleneck " + commandPath(cmd) + "--help')");
                return 2;
            }
            if (t instanceof BottleneckException) {
                err.println("error: " + t.getMessage());
                return 1;
            }
            err.println("internal error: " + t + (System.getenv("BOTTLENECK_DEBUG") == null
                    ? " (set BOTTLENECK_DEBUG=1 for the stack trace, and please report it)" : ""));
            if (System.getenv("BOTTLENECK_DEBUG") != null) t.printStackTrace(err);
            return 70;
        });
        return cl;
    }

    private static Double finiteDouble(String s) {
        double v;
        try {
            v = Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + s + "' is not a number");
        }
        if (!Double.isFinite(v)) throw new CommandLine.TypeConversionException("'" + s + "' is not a finite number");
        return v;
    }

    /** Checks every matched option that carries a {@link Range} (on the command and its sub-commands). */
    private static void checkRanges(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult pr = parsed; pr != null; pr = pr.subcommand()) {
            for (CommandLine.Model.OptionSpec o : pr.commandSpec().options()) {
                if (!(o.userObject() instanceof Field f)) continue;
                Range r = f.getAnnotation(Range.class);
                Object v = o.getValue();
                if (r == null || !(v instanceof Number n)) continue;
                double x = n.doubleValue();
                boolean low = r.minExclusive() ? !(x > r.min()) : !(x >= r.min());
                boolean high = r.maxExclusive() ? !(x < r.max()) : !(x <= r.max());
                if (low || high) {
                    throw new CommandLine.ParameterException(pr.commandSpec().commandLine(),
                            "Invalid value for option '" + o.longestName() + "': " + describe(r) + ", got " + v);
                }
            }
        }
    }

    private static String describe(Range r) {
        boolean lo = r.min() != Double.NEGATIVE_INFINITY, hi = r.max() != Double.POSITIVE_INFINITY;
        String min = number(r.min()), max = number(r.max());
        if (lo && hi) {
            return "must be " + (r.minExclusive() ? "greater than " + min : "at least " + min) + " and "
                    + (r.maxExclusive() ? "less than " + max : "at most " + max);
        }
        if (lo) return r.minExclusive() ? "must be greater than " + min : "must be at least " + min;
        return r.maxExclusive() ? "must be less than " + max : "must be at most " + max;
    }

    private static String number(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    private static String commandPath(CommandLine cl) {
        StringBuilder b = new StringBuilder();
        for (CommandLine c = cl; c.getParent() != null; c = c.getParent()) b.insert(0, c.getCommandName() + " ");
        return b.toString();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"bottleneck " + VERSION + " (Java " + System.getProperty("java.version") + ")"};
        }
    }
}

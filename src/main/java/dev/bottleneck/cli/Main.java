package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The {@code bottleneck} command line. */
@Command(name = "bottleneck", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train autoencoders on a GPU (CUDA) or the CPU, and use them: encode, reconstruct, evaluate.",
        subcommands = {TrainCommand.class, EvalCommand.class, EncodeCommand.class, ReconstructCommand.class,
                DenoiseCommand.class, ComparePcaCommand.class,
                SampleCommand.class, InterpolateCommand.class, LatentMapCommand.class,
                DetectCommand.class, OneClassCommand.class, InpaintCommand.class, ImputeCommand.class, IndexCommand.class,
                SearchCommand.class, PlotLatentCommand.class, ProbeCommand.class, ClusterCommand.class, CompressCommand.class,
                DecompressCommand.class, AutoRecCommand.class, RecommendCommand.class, UpscaleCommand.class, SegmentCommand.class, InfoCommand.class, SummaryCommand.class, CommandLine.HelpCommand.class})
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
        return cl.execute(args);
    }

    /** Runs the CLI with its output and error streams redirected (for tests and embedding). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        int rc = cl.execute(args);
        out.flush();
        err.flush();
        return rc;
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("error: " + ex.getMessage());
            err.println("(see 'bottleneck " + commandPath(ex.getCommandLine()) + "--help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            Throwable t = ex;
            if (t instanceof BottleneckException) {
                err.println("error: " + t.getMessage());
                return 1;
            }
            if (t instanceof OutOfMemoryError) {
                err.println("error: out of Java heap memory (" + t.getMessage() + "): reduce --batch or raise -Xmx via JAVA_OPTS");
                return 1;
            }
            err.println("internal error: " + t + (System.getenv("BOTTLENECK_DEBUG") == null
                    ? " (set BOTTLENECK_DEBUG=1 for the stack trace, and please report it)" : ""));
            if (System.getenv("BOTTLENECK_DEBUG") != null) t.printStackTrace(err);
            return 70;
        });
        return cl;
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

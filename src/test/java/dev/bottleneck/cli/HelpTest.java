package dev.bottleneck.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every command's --help renders cleanly, and an unknown command is a usage error even with --help. */
class HelpTest {
    private record Run(int rc, String out, String err) { }

    private static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        // picocli reports format problems in descriptions on System.err, not on the command's err writer
        java.io.PrintStream old = System.err;
        java.io.ByteArrayOutputStream sys = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(sys, true));
        int rc;
        try {
            rc = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        } finally {
            System.setErr(old);
        }
        return new Run(rc, out.toString(), err + sys.toString());
    }

    @Test
    void everyCommandsHelpRendersWithoutWarnings() {
        List<String> names = new ArrayList<>(Main.commandLine().getSubcommands().keySet());
        assertTrue(names.size() > 20, "too few commands: " + names);
        for (String name : names) {
            if (name.equals("help")) continue;
            Run r = run(name, "--help");
            assertEquals(0, r.rc(), name + " --help exit status; stderr: " + r.err());
            assertFalse(r.err().contains("WARN"), name + " --help printed a warning: " + r.err());
            assertTrue(r.out().contains("Usage: bottleneck " + name), name + " --help printed no usage: " + r.out());
            assertFalse(r.out().contains("%n") || r.out().contains("${"), name + " --help has an unformatted placeholder: " + r.out());
        }
        Run top = run("--help");
        assertEquals(0, top.rc());
        assertFalse(top.err().contains("WARN"), top.err());
    }

    @Test
    void anUnknownCommandIsAUsageErrorEvenWithHelp() {
        for (String[] args : new String[][] {{"no-such-command", "--help"}, {"no-such-command"}, {"--help", "no-such-command"}}) {
            Run r = run(args);
            assertEquals(2, r.rc(), String.join(" ", args) + ": " + r.out() + r.err());
            assertTrue(r.err().contains("unknown command 'no-such-command'"), r.err());
            assertFalse(r.out().contains("Usage:"), "printed the help instead of an error: " + r.out());
        }
        CommandLine cl = Main.commandLine();
        assertTrue(cl.getSubcommands().containsKey("train"));
    }
}

package dev.bottleneck.train;

import java.util.List;

/**
 * SIGTERM and SIGINT for training jobs that a scheduler may stop (preempt) at any time.
 *
 * <p>After {@link #install()}, the first signal that arrives while a {@link TrainingLoop} runs does not end the
 * process: it is recorded, the loop finishes the step in progress, its listeners write a checkpoint
 * ({@link TrainingListener#onInterrupt}), and the loop throws {@link TrainingInterrupted}, which the command line
 * turns into one line and the conventional exit status (143 for SIGTERM, 130 for SIGINT). A second signal, or a
 * signal outside a training loop (while data loads, while results are written), ends the process at once with that
 * status. Checkpoints are published atomically ({@link CheckpointStore}), so stopping at any moment leaves the
 * last complete checkpoint intact.
 *
 * <p>Signals are process-wide, so this class is too. Without {@link #install()} (a library user, a test) nothing
 * changes the JVM's own handling; {@link #request} still lets code ask a running loop to stop the same way.
 */
public final class Preemption {
    private static volatile String requested;
    private static volatile int requestedStatus;
    private static int armed; // training loops running (guarded by the class)
    private static boolean installed;
    private static volatile boolean exiting;
    private static final List<String> ignored = new java.util.ArrayList<>();

    private Preemption() {}

    /**
     * Handles SIGTERM and SIGINT from now on (once per process; later calls do nothing). Returns false where the JVM
     * does not let a program handle them (then the JVM's default stays: exit at once).
     */
    public static synchronized boolean install() {
        if (installed) return true;
        boolean any = false;
        for (String name : List.of("TERM", "INT")) {
            try {
                sun.misc.SignalHandler old = sun.misc.Signal.handle(new sun.misc.Signal(name), s -> onSignal(s.getName(), 128 + s.getNumber()));
                if (old == sun.misc.SignalHandler.SIG_IGN) {
                    ignored.add(name); // the parent ignores it (nohup, a background job of a script): the JVM keeps it so
                } else {
                    any = true;
                }
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // reserved by the VM (-Xrs): keep the default
            }
        }
        installed = true;
        return any;
    }

    /** The signals of TERM and INT that this process ignores because its parent did (they cannot stop it). */
    public static synchronized List<String> ignoredByParent() {
        return List.copyOf(ignored);
    }

    private static void onSignal(String name, int status) {
        boolean defer;
        synchronized (Preemption.class) {
            defer = armed > 0 && requested == null && !exiting;
            if (defer) {
                requestedStatus = status;
                requested = name;
            }
        }
        if (defer) return;
        if (exiting || requested != null) Runtime.getRuntime().halt(status); // second signal: now
        exiting = true;
        System.exit(status); // outside the loop nothing is half done: the last checkpoint is complete
    }

    /** Asks running training loops to stop after their current step as if {@code signal} ("TERM", "INT") had arrived. */
    public static void request(String signal) {
        synchronized (Preemption.class) {
            requestedStatus = 128 + ("INT".equals(signal) ? 2 : 15);
            requested = signal;
        }
    }

    /** Whether a stop was requested (by a signal or {@link #request}) and not yet handled. */
    public static boolean requested() {
        return requested != null;
    }

    /** The signal's name without "SIG" (TERM, INT), or null. */
    public static String signal() {
        return requested;
    }

    /** 128 + the signal's number: 143 for SIGTERM, 130 for SIGINT. */
    public static int exitStatus() {
        return requested == null ? 0 : requestedStatus;
    }

    /** A loop starts: a signal from now on is deferred to the loop's next step boundary. Clears an old request. */
    static synchronized void enterLoop() {
        if (armed++ == 0) requested = null;
    }

    static synchronized void exitLoop() {
        armed--;
    }

    /** Forgets a handled request (the command line does this after it has reported it; tests between runs). */
    public static synchronized void clear() {
        requested = null;
    }
}

package dev.bottleneck.backend.cuda;

import dev.bottleneck.BottleneckException;

import java.util.Map;

/**
 * Which GPU a process uses. One process per GPU is how data-parallel jobs run, and launchers say which one
 * through the local rank:
 * <ol>
 *   <li>{@code BOTTLENECK_CUDA_DEVICE}, when set, names the device index outright;</li>
 *   <li>else {@code LOCAL_RANK} (torchrun, PyTorchJob, {@code bottleneck launch}) or, under Slurm without it,
 *       {@code SLURM_LOCALID}: device {@code local rank}; when the process sees a single GPU (the scheduler gave
 *       each task its own {@code CUDA_VISIBLE_DEVICES}) that one, device 0;</li>
 *   <li>else device 0.</li>
 * </ol>
 * {@code BOTTLENECK_DISTRIBUTED=off} makes the local rank count for nothing, as it does for the job itself.
 */
final class CudaDevices {
    static final String DEVICE_ENV = "BOTTLENECK_CUDA_DEVICE";

    private CudaDevices() {}

    static int choose(Map<String, String> env, int visible) {
        String explicit = env.get(DEVICE_ENV);
        if (explicit != null && !explicit.isBlank()) {
            int d = parse(explicit, DEVICE_ENV);
            if (d < 0 || d >= Math.max(1, visible)) {
                throw new BottleneckException(DEVICE_ENV + "=" + d + " but this process sees " + visible + " GPU" + (visible == 1 ? "" : "s")
                        + " (devices 0 to " + (visible - 1) + "; check CUDA_VISIBLE_DEVICES)");
            }
            return d;
        }
        String off = env.get("BOTTLENECK_DISTRIBUTED");
        if (off != null && (off.equalsIgnoreCase("off") || off.equals("0") || off.equalsIgnoreCase("false"))) return 0;
        String name = "LOCAL_RANK";
        String local = env.get(name);
        if ((local == null || local.isBlank()) && blank(env.get("RANK")) && !blank(env.get("SLURM_PROCID"))) {
            name = "SLURM_LOCALID";
            local = env.get(name);
        }
        if (local == null || local.isBlank()) return 0;
        int r = parse(local, name);
        if (visible <= 1) return 0;
        if (r < 0 || r >= visible) {
            throw new BottleneckException(name + "=" + r + " but this process sees only " + visible + " GPUs: start at most " + visible
                    + " ranks on this machine, or give each rank its own GPU with CUDA_VISIBLE_DEVICES");
        }
        return r;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static int parse(String v, String name) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new BottleneckException(name + "='" + v + "' is not a device number");
        }
    }
}

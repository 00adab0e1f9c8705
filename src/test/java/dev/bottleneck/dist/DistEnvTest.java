package dev.bottleneck.dist;

import dev.bottleneck.BottleneckException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The environments launchers set: torchrun, Kubeflow's PyTorchJob, Slurm, and none. */
class DistEnvTest {
    @Test
    void torchrunAndBottleneckLaunch() {
        DistEnv e = DistEnv.fromEnvironment(Map.of("RANK", "5", "WORLD_SIZE", "8", "LOCAL_RANK", "1", "LOCAL_WORLD_SIZE", "4",
                "MASTER_ADDR", "node07", "MASTER_PORT", "29400")).orElseThrow();
        assertEquals(new DistEnv(5, 8, 1, 4, "node07", 29400, "RANK/WORLD_SIZE"), e);
        assertFalse(e.writer());
    }

    @Test
    void pyTorchJobSetsNoLocalRank() {
        DistEnv e = DistEnv.fromEnvironment(Map.of("RANK", "0", "WORLD_SIZE", "3", "MASTER_ADDR", "job-master-0", "MASTER_PORT", "23456"))
                .orElseThrow();
        assertEquals(0, e.localRank());
        assertEquals("job-master-0", e.masterAddr());
        assertTrue(e.writer());
    }

    @Test
    void slurmTakesTheFirstHostOfTheNodeList() {
        DistEnv e = DistEnv.fromEnvironment(Map.of("SLURM_PROCID", "9", "SLURM_NTASKS", "16", "SLURM_LOCALID", "1",
                "SLURM_STEP_NODELIST", "gpu[003-004,017],login1", "SLURM_STEP_TASKS_PER_NODE", "8(x2)")).orElseThrow();
        assertEquals(new DistEnv(9, 16, 1, 8, "gpu003", DistEnv.DEFAULT_PORT, "Slurm"), e);
        assertEquals("rack1-n07", DistEnv.firstHost("rack[1-2]-n[07-08]"));
        assertEquals("a", DistEnv.firstHost("a,b[1-3]"));
        assertEquals("node12", DistEnv.firstHost("node[12]"));
        DistEnv m = DistEnv.fromEnvironment(Map.of("SLURM_PROCID", "0", "SLURM_NTASKS", "2", "SLURM_JOB_NODELIST", "x[1-2]",
                "MASTER_ADDR", "10.0.0.5", "MASTER_PORT", "1234")).orElseThrow();
        assertEquals("10.0.0.5", m.masterAddr(), "MASTER_ADDR wins over the node list");
        assertEquals(1234, m.masterPort());
    }

    @Test
    void rankVariablesWinOverSlurmAndTheOffSwitchWinsOverBoth() {
        Map<String, String> both = Map.of("RANK", "1", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "SLURM_PROCID", "0", "SLURM_NTASKS", "1");
        assertEquals(1, DistEnv.fromEnvironment(both).orElseThrow().rank());
        assertTrue(DistEnv.fromEnvironment(Map.of("RANK", "1", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "BOTTLENECK_DISTRIBUTED", "off")).isEmpty());
        assertTrue(DistEnv.fromEnvironment(Map.of("PATH", "/bin")).isEmpty());
    }

    @Test
    void brokenEnvironmentsAreOneLineErrors() {
        assertThrows(BottleneckException.class, () -> DistEnv.fromEnvironment(Map.of("RANK", "2", "WORLD_SIZE", "2", "MASTER_ADDR", "h")));
        assertThrows(BottleneckException.class, () -> DistEnv.fromEnvironment(Map.of("RANK", "0", "WORLD_SIZE", "2")));
        assertThrows(BottleneckException.class, () -> DistEnv.fromEnvironment(Map.of("RANK", "x", "WORLD_SIZE", "2", "MASTER_ADDR", "h")));
        assertThrows(BottleneckException.class, () -> DistEnv.fromEnvironment(Map.of("WORLD_SIZE", "2", "MASTER_ADDR", "h")));
        BottleneckException e = assertThrows(BottleneckException.class,
                () -> DistEnv.fromEnvironment(Map.of("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "70000")));
        assertTrue(e.getMessage().contains("[1, 65535]"), e.getMessage());
        assertEquals("127.0.0.1", DistEnv.fromEnvironment(Map.of("RANK", "0", "WORLD_SIZE", "1")).orElseThrow().masterAddr(),
                "a job of one needs no master address");
    }

    @Test
    void resumingChecksTheGlobalBatch() {
        DistributedRun four = DistributedRun.of(DistEnv.local(0, 4, "127.0.0.1", 1), Timeouts.ofSeconds(1, 1));
        Map<String, Object> saved = Map.of("distributed", Map.of("world_size", 2, "per_rank_batch", 128));
        four.checkResume(saved, 64); // 4 × 64 = 2 × 128: the same steps
        BottleneckException e = assertThrows(BottleneckException.class, () -> four.checkResume(saved, 128));
        assertTrue(e.getMessage().contains("pass --batch 64 to continue it on 4 ranks"), e.getMessage());
        four.checkResume(Map.of(), 999); // a single-process checkpoint: as before, the command line decides
        DistributedRun three = DistributedRun.of(DistEnv.local(0, 3, "127.0.0.1", 1), Timeouts.ofSeconds(1, 1));
        assertTrue(assertThrows(BottleneckException.class, () -> three.checkResume(saved, 64)).getMessage()
                .contains("resume it on a world size that divides 256"));
    }
}

package dev.bottleneck.backend.cuda;

import dev.bottleneck.BottleneckException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The GPU of a process: its local rank's, runs everywhere (no GPU needed). */
class CudaDevicesTest {
    @Test
    void theLocalRankPicksTheDevice() {
        assertEquals(0, CudaDevices.choose(Map.of(), 8));
        assertEquals(3, CudaDevices.choose(Map.of("LOCAL_RANK", "3", "RANK", "11"), 8));
        assertEquals(0, CudaDevices.choose(Map.of("LOCAL_RANK", "3"), 1), "a process that sees one GPU uses it");
        assertEquals(2, CudaDevices.choose(Map.of("SLURM_PROCID", "6", "SLURM_LOCALID", "2"), 4));
        assertEquals(5, CudaDevices.choose(Map.of("LOCAL_RANK", "3", "BOTTLENECK_CUDA_DEVICE", "5"), 8));
        assertEquals(0, CudaDevices.choose(Map.of("LOCAL_RANK", "3", "BOTTLENECK_DISTRIBUTED", "off"), 8));
        BottleneckException e = assertThrows(BottleneckException.class, () -> CudaDevices.choose(Map.of("LOCAL_RANK", "4"), 4));
        assertTrue(e.getMessage().contains("LOCAL_RANK=4 but this process sees only 4 GPUs"), e.getMessage());
        assertThrows(BottleneckException.class, () -> CudaDevices.choose(Map.of("BOTTLENECK_CUDA_DEVICE", "9"), 2));
    }

    @Test
    void ncclVersionCodesReadAsVersions() {
        assertEquals("2.29.3", CudaProbe.ncclVersion(22903));
        assertEquals("2.8.4", CudaProbe.ncclVersion(2804));
    }

    @Test
    void theCudaPresetCarriesTheNcclBindings() throws Exception {
        // loads no native code: only checks that the classes the NCCL path calls are in the preset jar
        for (String c : new String[] {"org.bytedeco.cuda.global.nccl", "org.bytedeco.cuda.nccl.ncclComm",
                "org.bytedeco.cuda.nccl.ncclUniqueId", "org.bytedeco.cuda.nccl.ncclConfig_t"}) {
            assertNotNull(Class.forName(c, false, getClass().getClassLoader()));
        }
    }
}

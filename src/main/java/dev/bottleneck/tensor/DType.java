package dev.bottleneck.tensor;

/** Element type of a tensor. Training runs in F32; F64 exists for the reference backend and gradient checks. */
public enum DType {
    F32(4, "F32"),
    F64(8, "F64");

    public final int bytes;
    /** Name used in the safetensors header. */
    public final String safetensorsName;

    DType(int bytes, String safetensorsName) {
        this.bytes = bytes;
        this.safetensorsName = safetensorsName;
    }
}

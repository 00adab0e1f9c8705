package dev.bottleneck.data.shard;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Releases a memory mapping at once instead of when the garbage collector finds its buffer: pages of a mapped file
 * count toward the process's resident memory for as long as they stay mapped, so a closed {@link ShardSplit} gives
 * them back right away.
 *
 * <p>Uses {@code sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported); where it is missing, {@link #unmap}
 * returns false and the mapping goes away with its buffer.
 */
final class Unmapper {
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object u = null;
        Method m = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            u = f.get(null);
            m = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            u = null;
            m = null;
        }
        UNSAFE = u;
        INVOKE_CLEANER = m;
    }

    private Unmapper() {}

    /** Whether mappings can be released early on this JVM. */
    static boolean available() {
        return INVOKE_CLEANER != null;
    }

    /**
     * Unmaps a buffer returned by {@code FileChannel.map} (not a slice or view of one). The buffer, and every view of
     * it, must never be touched again: the caller guarantees that no other thread still reads it.
     */
    static boolean unmap(ByteBuffer mapped) {
        if (INVOKE_CLEANER == null || mapped == null) return false;
        try {
            INVOKE_CLEANER.invoke(UNSAFE, mapped);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }
}

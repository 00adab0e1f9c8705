package dev.bottleneck.nn;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The flat arenas of a model: every parameter's value is a view into one contiguous {@link #values()} tensor
 * and its gradient a view into {@link #grads()}, so zeroing, clipping, the optimizer step and saving each touch
 * one buffer.
 */
public final class ParameterStore implements AutoCloseable {
    private final Backend backend;
    private final Map<String, Parameter> byName = new LinkedHashMap<>();
    private final Map<String, Long> offsets = new LinkedHashMap<>();
    private final Tensor values, grads;
    private final long size;

    /** Names parameters as {@code prefix.i.localName} after the module tree and binds them to new arenas. */
    public ParameterStore(Backend backend, Map<String, Module> roots) {
        this.backend = backend;
        for (Map.Entry<String, Module> e : roots.entrySet()) collect(e.getKey(), e.getValue());
        long n = 0;
        for (Map.Entry<String, Parameter> e : byName.entrySet()) {
            offsets.put(e.getKey(), n);
            n += e.getValue().size();
        }
        this.size = n;
        dev.bottleneck.Limits.PARAMETERS.check(n, "the model's parameter count");
        int total = (int) Math.max(1, n);
        this.values = backend.memory().allocate(total);
        this.grads = backend.memory().zeros(total);
        for (Map.Entry<String, Parameter> e : byName.entrySet()) {
            Parameter p = e.getValue();
            long off = offsets.get(e.getKey());
            p.value = values.view(off, p.shape());
            p.grad = grads.view(off, p.shape());
        }
    }

    private void collect(String prefix, Module m) {
        List<Parameter> own = m.ownParameters();
        List<String> names = m.ownParameterNames();
        for (int i = 0; i < own.size(); i++) {
            String name = prefix + "." + names.get(i);
            Parameter p = own.get(i);
            if (byName.containsValue(p)) continue;
            p.name = name;
            byName.put(name, p);
        }
        List<Module> kids = m.children();
        for (int i = 0; i < kids.size(); i++) collect(prefix + "." + i, kids.get(i));
    }

    public Backend backend() { return backend; }
    public Tensor values() { return values.view(0, (int) Math.max(1, size)); }
    public Tensor grads() { return grads.view(0, (int) Math.max(1, size)); }
    /** Number of trainable scalars. */
    public long size() { return size; }
    public Map<String, Parameter> parameters() { return byName; }
    public long offsetOf(String name) { return offsets.get(name); }

    /** Fills every parameter from its initialiser; element i of a parameter at arena offset o uses counter o + i. */
    public void initialize(long seed) {
        double[] host = new double[Math.toIntExact(Math.max(1, size))];
        for (Map.Entry<String, Parameter> e : byName.entrySet()) {
            Parameter p = e.getValue();
            int off = Math.toIntExact(offsets.get(e.getKey()));
            double[] part = new double[(int) p.size()];
            p.init().fill(part, p.fanIn(), p.fanOut(), seed, off);
            System.arraycopy(part, 0, host, off, part.length);
        }
        backend.memory().upload(host, 0, values);
    }

    public void zeroGrads() {
        backend.memory().fill(grads, 0.0);
    }

    /** A host copy of every value, in arena order. */
    public float[] valuesToHost() {
        return backend.memory().toFloatArray(values());
    }

    public void valuesFromHost(float[] host) {
        if (host.length != size) throw new BottleneckException("parameter count mismatch: model has " + size + ", data has " + host.length);
        backend.memory().upload(host, 0, values());
    }

    /** Host copies of each parameter by name (for saving). */
    public Map<String, float[]> toHostMap() {
        float[] all = valuesToHost();
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : byName.entrySet()) {
            int off = Math.toIntExact(offsets.get(e.getKey()));
            out.put(e.getKey(), Arrays.copyOfRange(all, off, off + (int) e.getValue().size()));
        }
        return out;
    }

    /** Loads parameters by name; every parameter must be present with its exact shape. */
    public void fromHostMap(Map<String, float[]> data, Map<String, long[]> shapes, String source) {
        float[] all = new float[Math.toIntExact(size)];
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : byName.entrySet()) {
            float[] v = data.get(e.getKey());
            if (v == null) {
                missing.add(e.getKey());
                continue;
            }
            long[] want = Arrays.stream(e.getValue().shape()).asLongStream().toArray();
            long[] got = shapes.get(e.getKey());
            if (got != null && !Arrays.equals(want, got)) {
                throw new BottleneckException(source + ": tensor '" + e.getKey() + "' has shape " + Arrays.toString(got)
                        + " but the model expects " + Arrays.toString(want) + " (the config and the weights do not match)");
            }
            if (v.length != e.getValue().size()) {
                throw new BottleneckException(source + ": tensor '" + e.getKey() + "' has " + v.length + " values, expected " + e.getValue().size());
            }
            System.arraycopy(v, 0, all, Math.toIntExact(offsets.get(e.getKey())), v.length);
        }
        if (!missing.isEmpty()) throw new BottleneckException(source + ": missing tensors " + missing + " (the config and the weights do not match)");
        valuesFromHost(all);
    }

    @Override
    public void close() {
        backend.memory().release(values);
        backend.memory().release(grads);
    }
}

package dev.bottleneck.backend.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The typed kernel entry points of {@link Kernels} against the kernel sources, without a GPU: every
 * {@code extern "C" __global__} signature in {@code kernels/*.cu} has exactly one method of the same name whose
 * parameters after the launch shape have the kernel's names, count, order and widths (pointer / int / long long /
 * float / double / by-value struct of the same size), every method has a kernel, and each method, when called,
 * hands its arguments to the launcher in that order with those widths. A kernel added or changed on one side only
 * fails here.
 */
class KernelSignatureTest {
    /** What a launch argument is, as far as cuLaunchKernel cares: its kind and size in bytes. */
    record Arg(String kind, int bytes) {
        @Override
        public String toString() {
            return kind + "/" + bytes;
        }
    }

    record CParam(String type, String name, Arg arg) { }

    private static final Pattern KERNEL = Pattern.compile("extern\\s+\"C\"\\s+__global__\\s+void\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern STRUCT = Pattern.compile("struct\\s+(\\w+)\\s*\\{([^}]*)}\\s*;");
    private static final Pattern FIELD = Pattern.compile("(\\w+(?:\\s+\\w+)?)\\s+(\\w+)\\s*(?:\\[(\\w+)])?\\s*;");

    /** The source tree's kernels/ folder, or null when the tests run elsewhere (the GPU bundle). */
    private static Path kernelDir() {
        Path p = Paths.get("kernels");
        return Files.isDirectory(p) ? p : null;
    }

    private static String strip(String src) {
        return src.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", " ");
    }

    /** Every kernel source: from kernels/ in the source tree, else the copies packaged in the jar. */
    private static Map<String, String> sources() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        Path dir = kernelDir();
        if (dir == null) {
            out.put(KernelLibrary.HEADER, strip(KernelLibrary.readSource(KernelLibrary.HEADER)));
            for (String f : KernelLibrary.FILES) out.put(f, strip(KernelLibrary.readSource(f)));
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().collect(Collectors.toList())) {
                String name = f.getFileName().toString();
                if (name.endsWith(".cu") || name.endsWith(".cuh")) out.put(name, strip(Files.readString(f)));
            }
        }
        return out;
    }

    private static Map<String, Long> defines(Map<String, String> src) {
        Map<String, Long> d = new LinkedHashMap<>();
        Matcher m = Pattern.compile("#define\\s+(\\w+)\\s+(\\d+)\\b").matcher(String.join("\n", src.values()));
        while (m.find()) d.put(m.group(1), Long.parseLong(m.group(2)));
        return d;
    }

    private static int scalarBytes(String t) {
        switch (t) {
            case "int": case "unsigned": case "unsigned int": case "float": return 4;
            case "i64": case "u64": case "long long": case "unsigned long long": case "double": return 8;
            default: return -1;
        }
    }

    /** C struct sizes with natural alignment (the fields are 4- and 8-byte scalars and arrays of them). */
    private static Map<String, Integer> structSizes(Map<String, String> src, Map<String, Long> defs) {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        Matcher m = STRUCT.matcher(String.join("\n", src.values()));
        while (m.find()) {
            int off = 0, align = 1;
            Matcher f = FIELD.matcher(m.group(2));
            while (f.find()) {
                int b = scalarBytes(f.group(1).trim());
                assertTrue(b > 0, "struct " + m.group(1) + ": field type " + f.group(1) + " not understood by this test");
                long count = 1;
                if (f.group(3) != null) {
                    String c = f.group(3);
                    count = c.matches("\\d+") ? Long.parseLong(c) : defs.getOrDefault(c, -1L);
                    assertTrue(count > 0, "struct " + m.group(1) + ": array size " + c + " is not a known #define");
                }
                off = (off + b - 1) / b * b;
                off += (int) (b * count);
                align = Math.max(align, b);
            }
            sizes.put(m.group(1), (off + align - 1) / align * align);
        }
        return sizes;
    }

    /** Every kernel signature: name → parameters, in file order. */
    private static Map<String, List<CParam>> kernels(Map<String, String> src, Map<String, Integer> structs) {
        Map<String, List<CParam>> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : src.entrySet()) {
            Matcher m = KERNEL.matcher(e.getValue());
            while (m.find()) {
                List<CParam> ps = new ArrayList<>();
                for (String raw : m.group(2).split(",")) {
                    String p = raw.trim().replaceAll("\\s+", " ");
                    if (p.isEmpty()) continue;
                    Matcher pm = Pattern.compile("^(.*?)([*\\s])\\s*(\\w+)$").matcher(p);
                    assertTrue(pm.find(), e.getKey() + ": cannot parse parameter '" + p + "' of " + m.group(1));
                    String type = (pm.group(1) + pm.group(2)).trim();
                    String name = pm.group(3);
                    Arg arg;
                    if (type.endsWith("*")) {
                        arg = new Arg("ptr", 8);
                    } else {
                        String t = type.replace("const ", "").trim();
                        int b = scalarBytes(t);
                        if (b > 0) {
                            arg = new Arg(t.equals("float") ? "f32" : t.equals("double") ? "f64" : b == 4 ? "i32" : "i64", b);
                        } else {
                            Integer size = structs.get(t);
                            assertTrue(size != null, e.getKey() + ": " + m.group(1) + " takes " + t + " by value, which is no struct of kernels/");
                            arg = new Arg("struct " + t, size);
                        }
                    }
                    ps.add(new CParam(type, name, arg));
                }
                assertTrue(out.put(m.group(1), ps) == null, "kernel " + m.group(1) + " is defined twice in kernels/");
            }
        }
        return out;
    }

    private static List<Method> entryPoints() {
        List<Method> out = new ArrayList<>();
        for (Method m : Kernels.class.getDeclaredMethods()) {
            if (m.isSynthetic() || Modifier.isStatic(m.getModifiers()) || Modifier.isPrivate(m.getModifiers())) continue;
            out.add(m);
        }
        return out;
    }

    private static Arg javaArg(Parameter p) {
        Class<?> t = p.getType();
        if (t == long.class) return p.isAnnotationPresent(Kernels.Ptr.class) ? new Arg("ptr", 8) : new Arg("i64", 8);
        if (t == int.class) return new Arg("i32", 4);
        if (t == float.class) return new Arg("f32", 4);
        if (t == double.class) return new Arg("f64", 8);
        if (KernelStruct.class.isAssignableFrom(t)) return new Arg("struct " + t.getSimpleName(), -1);
        throw new AssertionError("Kernels parameter " + p + " has a type no kernel takes: " + t);
    }

    @Test
    void everyKernelHasOneTypedEntryPointWithItsSignature() throws Exception {
        Map<String, String> src = sources();
        Map<String, Integer> structs = structSizes(src, defines(src));
        Map<String, List<CParam>> kernels = kernels(src, structs);
        assertTrue(kernels.size() >= 20, "found only " + kernels.size() + " kernels in kernels/: the parser is broken");

        Map<String, Method> methods = new LinkedHashMap<>();
        for (Method m : entryPoints()) {
            assertTrue(methods.put(m.getName(), m) == null, "Kernels." + m.getName() + " is overloaded: one method per kernel");
        }
        Set<String> onlyC = new TreeSet<>(kernels.keySet());
        onlyC.removeAll(methods.keySet());
        Set<String> onlyJava = new TreeSet<>(methods.keySet());
        onlyJava.removeAll(kernels.keySet());
        assertTrue(onlyC.isEmpty(), "kernels without a typed entry point in Kernels.java: " + onlyC);
        assertTrue(onlyJava.isEmpty(), "Kernels.java methods without a kernel in kernels/*.cu: " + onlyJava);

        for (Map.Entry<String, List<CParam>> k : kernels.entrySet()) {
            Method m = methods.get(k.getKey());
            Parameter[] ps = m.getParameters();
            assertTrue(ps.length >= 2 && ps[0].getName().equals("grid") && ps[1].getName().equals("block")
                            && ps[0].getType() == int.class && ps[1].getType() == int.class,
                    k.getKey() + ": the first two parameters must be (int grid, int block); compile with -parameters");
            List<CParam> c = k.getValue();
            assertEquals(c.size(), ps.length - 2, k.getKey() + ": parameter count differs from the kernel's " + c);
            for (int i = 0; i < c.size(); i++) {
                Parameter p = ps[i + 2];
                CParam cp = c.get(i);
                String where = k.getKey() + " parameter " + (i + 1) + " (" + cp.type() + " " + cp.name() + ")";
                assertEquals(cp.name(), p.getName(), where + ": Java names it differently");
                Arg j = javaArg(p);
                if (j.kind().startsWith("struct ")) {
                    assertEquals(cp.arg().kind(), j.kind(), where + ": Java passes " + j.kind());
                } else {
                    assertEquals(cp.arg(), j, where + ": Java passes " + j);
                }
            }
        }
    }

    /** A launcher that records what the entry points hand it. */
    static final class Recorder implements KernelSink {
        final List<Object[]> args = new ArrayList<>();   // {Arg, value}
        String kernel;
        int grid, block, begins;

        @Override public KernelSink begin() { begins++; args.clear(); return this; }
        @Override public KernelSink ptr(long a) { args.add(new Object[] {new Arg("ptr", 8), a}); return this; }
        @Override public KernelSink i32(int v) { args.add(new Object[] {new Arg("i32", 4), v}); return this; }
        @Override public KernelSink i64(long v) { args.add(new Object[] {new Arg("i64", 8), v}); return this; }
        @Override public KernelSink f32(float v) { args.add(new Object[] {new Arg("f32", 4), v}); return this; }
        @Override public KernelSink f64(double v) { args.add(new Object[] {new Arg("f64", 8), v}); return this; }
        @Override public KernelSink struct(KernelStruct s) {
            args.add(new Object[] {new Arg("struct " + s.getClass().getSimpleName(), s.bytes()), s});
            return this;
        }
        @Override public void launch(String k, int g, int b) { kernel = k; grid = g; block = b; }
    }

    private static KernelStruct sampleStruct(Class<?> t) {
        if (t == KernelStruct.BnBroadcast.class) {
            return new KernelStruct.BnBroadcast(new long[] {2, 3}, new long[] {3, 1}, new long[] {0, 1}, 2);
        }
        if (t == KernelStruct.BnReduce.class) {
            return new KernelStruct.BnReduce(new long[] {4}, new long[] {1}, new long[] {5}, new long[] {4}, 1, 1);
        }
        throw new AssertionError("no sample for struct " + t + ": add one to KernelSignatureTest");
    }

    @Test
    void everyEntryPointPassesItsArgumentsInOrder() throws Exception {
        Map<String, String> src = sources();
        Map<String, Integer> structs = structSizes(src, defines(src));
        Recorder rec = new Recorder();
        Kernels k = new Kernels(rec);
        for (Method m : entryPoints()) {
            Parameter[] ps = m.getParameters();
            Object[] values = new Object[ps.length];
            values[0] = 7;
            values[1] = 256;
            for (int i = 2; i < ps.length; i++) {
                Class<?> t = ps[i].getType();
                // distinct sentinels so a swapped pair of arguments of the same type is caught
                if (t == long.class) values[i] = 1_000_000_007L * (i + 1);
                else if (t == int.class) values[i] = 1000 + i;
                else if (t == float.class) values[i] = 0.5f + i;
                else if (t == double.class) values[i] = 0.25 + i;
                else values[i] = sampleStruct(t);
            }
            int beginsBefore = rec.begins;
            m.invoke(k, values);
            String name = m.getName();
            assertEquals(beginsBefore + 1, rec.begins, name + " must start a fresh argument list");
            assertEquals(name, rec.kernel, "Kernels." + name + " launches another kernel");
            assertEquals(7, rec.grid, name + ": grid");
            assertEquals(256, rec.block, name + ": block");
            assertEquals(ps.length - 2, rec.args.size(), name + ": number of arguments passed");
            for (int i = 2; i < ps.length; i++) {
                Object[] got = rec.args.get(i - 2);
                Arg expected = javaArg(ps[i]);
                Arg actual = (Arg) got[0];
                if (expected.kind().startsWith("struct ")) {
                    String cName = expected.kind().substring("struct ".length());
                    assertEquals(expected.kind(), actual.kind(), name + " argument " + ps[i].getName());
                    assertEquals(structs.get(cName), actual.bytes(), name + ": " + cName + " is "
                            + structs.get(cName) + " bytes in C but " + actual.bytes() + " bytes as packed from Java");
                } else {
                    assertEquals(expected, actual, name + " argument " + ps[i].getName() + " is passed as " + actual);
                }
                assertEquals(values[i], got[1], name + " argument " + ps[i].getName() + " is passed out of order");
            }
        }
    }

    @Test
    void everyKernelFileIsCompiledAndLoaded() throws IOException {
        Path dir = kernelDir();
        org.junit.jupiter.api.Assumptions.assumeTrue(dir != null,
                "not run from the source tree (no kernels/ folder in " + Paths.get("").toAbsolutePath() + ")");
        Set<String> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cu")).collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(files, new TreeSet<>(KernelLibrary.FILES), "KernelLibrary.FILES must list every kernels/*.cu file");
        assertEquals(KernelLibrary.FILES.size(), Arrays.stream(KernelLibrary.FILES.toArray()).distinct().count());
    }
}

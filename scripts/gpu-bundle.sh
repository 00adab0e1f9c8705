#!/usr/bin/env bash
# Builds a self-contained folder to copy to a GPU host that has no Maven (and maybe no JDK):
#
#   .bundle/
#     jre/                 jlink'ed Java runtime (only the modules the jars need)
#     bottleneck.jar lib/  the application and its runtime dependencies (target/lib)
#     test-classes/        compiled tests, test-lib/ the JUnit console launcher
#     bin/bottleneck       runs the CLI:   bin/bottleneck train ...
#     bin/run-tests        runs the tests: bin/run-tests   (or: bin/run-tests --select-class dev.bottleneck.X)
#     bin/cuda-env.sh      sourced by both: finds the CUDA 13 / cuDNN 9 libraries and says which it uses
#
# Usage: scripts/gpu-bundle.sh [--out DIR] [--skip-build] [--mnist N]
#   --mnist N      also pack MNIST (the first N training images, all 10,000 test images, gzip IDX) into
#                  data/mnist, for GPU hosts without network (the device tool carries at most 64 MiB)
#   --out DIR      bundle folder (default: .bundle at the repository root)
#   --skip-build   reuse an existing build (BUILD_DIR/bottleneck.jar, lib/, test-classes/)
# Environment: BUILD_DIR (Maven build folder, default target), JUNIT_CONSOLE_VERSION (default 1.14.4),
#              JAVA_HOME (the JDK whose jlink builds the runtime; default: the one running javac), MVN_ARGS.
# NVIDIA libraries are NOT bundled: they come from the GPU host (driver, CUDA toolkit or pip wheels).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/.bundle"
build=1
mnist_train=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --out) out="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
        --skip-build) build=0; shift ;;
        --mnist) mnist_train="$2"; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "gpu-bundle: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
done
build_dir="${BUILD_DIR:-target}"
[[ "$build_dir" = /* ]] || build_dir="$root/$build_dir"
junit_version="${JUNIT_CONSOLE_VERSION:-1.14.4}"

say() { echo "gpu-bundle: $*"; }

# ---------------------------------------------------------------------------------------------- 1. build
if [[ $build == 1 ]]; then
    say "building jars and test classes (mvn package -DskipTests) into $build_dir"
    (cd "$root" && mvn -B -q package -DskipTests -Dbottleneck.buildDir="$build_dir" ${MVN_ARGS:-})
fi
[[ -f "$build_dir/bottleneck.jar" ]] || { echo "gpu-bundle: $build_dir/bottleneck.jar missing (build failed?)" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/lib" "$out/test-lib" "$out/bin"
cp "$build_dir/bottleneck.jar" "$out/"
cp "$build_dir"/lib/*.jar "$out/lib/"

# Slim the two big native jars to what the code loads (set SLIM=0 to keep them whole): OpenBLAS is used only
# through the openblas_nolapack preset (CPU reference backend), and CUDA through cudart/cuBLAS/cuDNN/NVRTC/
# cuRAND/NCCL; the other JNI wrappers (LAPACK variants, cuFFT, cuSOLVER, NPP, nvJPEG, ...) and headers go.
slim_jar() {  # jar, then regular expressions of entries to delete
    local jar="$1"; shift
    python3 - "$jar" "$@" <<'PY'
import re, sys, zipfile, os
jar, pats = sys.argv[1], [re.compile(p) for p in sys.argv[2:]]
tmp = jar + ".slim"
with zipfile.ZipFile(jar) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
    for info in src.infolist():
        if not any(p.search(info.filename) for p in pats):
            dst.writestr(info, src.read(info.filename), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
os.replace(tmp, jar)
PY
}
if [[ "${SLIM:-1}" == 1 ]] && command -v python3 >/dev/null 2>&1; then
    for jar in "$out"/lib/openblas-*-linux-x86_64.jar; do
        [[ -f "$jar" ]] && slim_jar "$jar" '/libjniopenblas(_full)?\.so$' '/linux-x86_64/include/' '/linux-x86_64/lib/(cmake|pkgconfig)/'
    done
    for jar in "$out"/lib/cuda-*-linux-x86_64.jar; do
        [[ -f "$jar" ]] && slim_jar "$jar" '/libjni(?!(cudart|cublas|cudnn|nvrtc|curand|nccl)\.so$)[^/]*\.so$'
    done
    say "slimmed native jars: $(cd "$out/lib" && ls -s --block-size=M *linux-x86_64.jar | tr '\n' ' ')"
elif [[ "${SLIM:-1}" == 1 ]]; then
    say "warning: python3 not found, native jars kept whole (bigger bundle)"
fi

if [[ -d "$build_dir/test-classes" ]]; then
    cp -r "$build_dir/test-classes" "$out/test-classes"
else
    mkdir -p "$out/test-classes"
    say "warning: no test classes in $build_dir/test-classes"
fi

# ---------------------------------------------------------------------------------------------- 2. JUnit console
console="junit-platform-console-standalone-$junit_version.jar"
m2="${MAVEN_REPO:-$HOME/.m2/repository}/org/junit/platform/junit-platform-console-standalone/$junit_version/$console"
if [[ ! -f "$m2" ]]; then
    say "fetching $console"
    (cd "$root" && mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get \
        -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_version" ${MVN_ARGS:-})
fi
cp "$m2" "$out/test-lib/"

# ---------------------------------------------------------------------------------------------- 3. runtime
jdk="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
jlink="$jdk/bin/jlink"
jdeps="$jdk/bin/jdeps"
[[ -x "$jlink" ]] || { echo "gpu-bundle: no jlink in $jdk (set JAVA_HOME to a JDK 17+)" >&2; exit 1; }
# modules the code needs for sure: ImageIO (java.desktop) for PNGs, logging, management, Unsafe for JavaCPP,
# the zip file system (JUnit scans packages inside jars with it; jdeps cannot see service providers)
modules="java.base,java.desktop,java.logging,java.management,jdk.incubator.vector,jdk.unsupported,jdk.zipfs"
if [[ -x "$jdeps" ]]; then
    cp_jars="$(ls "$out"/lib/*.jar "$out"/test-lib/*.jar | tr '\n' ':')"
    found="$("$jdeps" --multi-release 17 --ignore-missing-deps --print-module-deps -q \
        --class-path "$cp_jars" "$out/bottleneck.jar" "$out"/lib/*.jar "$out"/test-lib/*.jar 2>/dev/null || true)"
    if [[ -n "$found" ]]; then
        modules="$modules,$found"
    else
        say "jdeps gave no answer; adding java.sql (Jackson) and java.xml by hand"
        modules="$modules,java.sql,java.xml"
    fi
fi
modules="$(echo "$modules" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)"
if [[ "${NO_DESKTOP:-0}" == 1 ]]; then
    # GPU-check bundles: no java.desktop (about 10 MB), so no PNG pictures and no image folders on that host
    modules="$(echo "$modules" | tr ',' '\n' | grep -v '^java.desktop$' | paste -sd, -)"
fi
jver="$("$jlink" --version | cut -d. -f1)"
compress="--compress=2"
[[ "$jver" -ge 21 ]] && compress="--compress=zip-6"
say "jlink ($jdk, Java $jver): $modules"
"$jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages $compress --output "$out/jre"
# Debian/Ubuntu JDKs ship unstripped native libraries (libjvm.so alone is 4 MB of symbols); vendor JDKs are
# already stripped. Dynamic symbols stay, so this is safe.
if command -v strip >/dev/null 2>&1; then
    find "$out/jre" -name '*.so' -exec chmod u+w {} + -exec strip --strip-unneeded {} + 2>/dev/null || true
fi

# ---------------------------------------------------------------------------------------------- 3b. data
if [[ "$mnist_train" -gt 0 ]]; then
    src="${BOTTLENECK_DATA:-$HOME/.cache/bottleneck/data}/mnist"
    [[ -f "$src/train-images-idx3-ubyte" ]] || { echo "gpu-bundle: MNIST not in $src (run scripts/fetch-data.sh)" >&2; exit 1; }
    mkdir -p "$out/data/mnist"
    python3 - "$src" "$out/data/mnist" "$mnist_train" <<'PY'
import gzip, struct, sys
src, dst, n_train = sys.argv[1], sys.argv[2], int(sys.argv[3])
for name, n in (("train", n_train), ("t10k", 10000)):
    img = open(f"{src}/{name}-images-idx3-ubyte", "rb").read()
    lab = open(f"{src}/{name}-labels-idx1-ubyte", "rb").read()
    n = min(n, struct.unpack(">i", img[4:8])[0])
    with gzip.open(f"{dst}/{name}-images-idx3-ubyte.gz", "wb", 9) as f:
        f.write(struct.pack(">iiii", 2051, n, 28, 28) + img[16:16 + n * 784])
    with gzip.open(f"{dst}/{name}-labels-idx1-ubyte.gz", "wb", 9) as f:
        f.write(struct.pack(">ii", 2049, n) + lab[8:8 + n])
PY
    say "packed MNIST ($mnist_train training + 10000 test images) into $out/data/mnist"
fi

# ---------------------------------------------------------------------------------------------- 4. launchers
cat > "$out/bin/cuda-env.sh" <<'ENV'
# Sourced by bin/bottleneck and bin/run-tests. Finds the NVIDIA libraries the JavaCPP CUDA wrappers need and
# exports LD_LIBRARY_PATH (it must be set before the JVM starts), printing one line per library to stderr.
# Searched, in order: the existing LD_LIBRARY_PATH, CUDA toolkit folders, the system library folders, and
# NVIDIA's Python wheels (site-packages/nvidia/*/lib). Set BOTTLENECK_QUIET_ENV=1 to silence the report.
_bn_dirs=()
IFS=: read -r -a _bn_existing <<< "${LD_LIBRARY_PATH:-}"
for _d in ${_bn_existing[@]+"${_bn_existing[@]}"}; do [[ -n "$_d" ]] && _bn_dirs+=("$_d"); done
for _d in /usr/local/cuda/lib64 /usr/local/cuda-13*/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
          /usr/local/cuda-13*/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib/wsl/lib; do
    [[ -d "$_d" ]] && _bn_dirs+=("$_d")
done
_bn_sites=()
if command -v python3 >/dev/null 2>&1; then
    while IFS= read -r _s; do [[ -n "$_s" ]] && _bn_sites+=("$_s"); done < <(python3 -c \
        'import site; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null || true)
fi
for _s in ${_bn_sites[@]+"${_bn_sites[@]}"} /usr/local/lib/python3*/dist-packages /usr/local/lib/python3*/site-packages \
          /usr/lib/python3/dist-packages "$HOME"/.local/lib/python3*/site-packages; do
    for _d in "$_s"/nvidia/*/lib; do [[ -d "$_d" ]] && _bn_dirs+=("$_d"); done
done

_bn_use=()
_bn_report() { [[ "${BOTTLENECK_QUIET_ENV:-0}" == 1 ]] || echo "cuda-env: $*" >&2; }
for _lib in libcuda.so.1 libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcudnn.so.9 libnvrtc.so.13 libcurand.so.10; do
    _where=""
    for _d in "${_bn_dirs[@]}"; do
        if [[ -e "$_d/$_lib" ]]; then _where="$_d"; break; fi
    done
    if [[ -n "$_where" ]]; then
        _bn_report "$_lib found in $_where"
        _seen=0
        for _u in ${_bn_use[@]+"${_bn_use[@]}"}; do [[ "$_u" == "$_where" ]] && _seen=1; done
        [[ $_seen == 0 ]] && _bn_use+=("$_where")
    elif [[ "$_lib" == libcuda.so.1 ]] && command -v ldconfig >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q "libcuda.so.1 "; then
        _bn_report "$_lib found by the dynamic linker cache (ldconfig)"
    else
        _bn_report "$_lib MISSING"
    fi
done
# folders that supplied a library first, then what was already on LD_LIBRARY_PATH
_bn_path="$(IFS=:; echo "${_bn_use[*]-}")"
[[ -n "${LD_LIBRARY_PATH:-}" ]] && _bn_path="${_bn_path:+$_bn_path:}$LD_LIBRARY_PATH"
export LD_LIBRARY_PATH="$_bn_path"
_bn_report "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
BN_JAVA_NATIVE_OPTS=(-Dorg.bytedeco.javacpp.pathsFirst=true "-Djava.library.path=$LD_LIBRARY_PATH")
unset _d _s _u _lib _where _seen _bn_dirs _bn_existing _bn_sites _bn_use _bn_path
ENV

cat > "$out/bin/bottleneck" <<'RUN'
#!/usr/bin/env bash
# Runs the Bottleneck CLI with the bundled Java runtime; extra JVM options via JAVA_OPTS.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/bin/cuda-env.sh"
exec "$here/jre/bin/java" ${JAVA_OPTS:--Xmx8g} --add-modules jdk.incubator.vector "${BN_JAVA_NATIVE_OPTS[@]}" \
    -cp "$here/lib/*:$here/bottleneck.jar" dev.bottleneck.cli.Main "$@"
RUN

cat > "$out/bin/run-tests" <<'RUN'
#!/usr/bin/env bash
# Runs the test suite with the JUnit console launcher. Without arguments it scans test-classes; otherwise the
# arguments go to the launcher, e.g. --select-class dev.bottleneck.backend.ConvConformanceTest
# or --include-classname '.*Cuda.*' --scan-class-path. Extra JVM options via JAVA_OPTS.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/bin/cuda-env.sh"
cp="$here/test-classes:$here/bottleneck.jar"
for j in "$here"/lib/*.jar; do cp="$cp:$j"; done
args=("$@")
[[ $# -eq 0 ]] && args=()
[[ ${#args[@]} -eq 0 ]] && args=(--scan-class-path "$here/test-classes")
cd "$here"
exec "$here/jre/bin/java" ${JAVA_OPTS:--Xmx6g -Djava.awt.headless=true} --add-modules jdk.incubator.vector "${BN_JAVA_NATIVE_OPTS[@]}" \
    -jar "$here"/test-lib/junit-platform-console-standalone-*.jar execute \
    --class-path "$cp" --details=tree --disable-banner "${args[@]}"
RUN
chmod +x "$out/bin/bottleneck" "$out/bin/run-tests"

# ---------------------------------------------------------------------------------------------- 5. report
size="$(du -sm "$out" | cut -f1)"
say "bundle ready in $out (${size} MB): jre $(du -sm "$out/jre" | cut -f1) MB, lib $(du -sm "$out/lib" | cut -f1) MB"
# The folder itself (about 67 MB) is larger than what a remote GPU machine takes with a repository (64 MiB in
# all); the same files as .tar.xz are about 50 MB (libjvm.so and the native libraries compress well), and
# scripts/gpu-check.sh unpacks that archive when it finds no bundle folder.
if [[ "${PACK:-1}" == 1 ]] && command -v xz >/dev/null 2>&1; then
    archive="$(dirname "$out")/$(basename "$out").tar.xz"
    tar -C "$(dirname "$out")" -cf - "$(basename "$out")" | xz -T2 -6 > "$archive.part" && mv "$archive.part" "$archive"
    packed="$(du -sm "$archive" | cut -f1)"
    say "packed $archive (${packed} MB)"
    if [[ "$packed" -gt 58 ]]; then say "warning: the archive is ${packed} MB; with the repository it may not fit in 64 MiB"; fi
fi
say "copy it to the GPU host, then: $(basename "$out")/bin/run-tests   or   $(basename "$out")/bin/bottleneck --help"
say "or carry $(basename "$out").tar.xz alone and run scripts/gpu-check.sh there (it unpacks the archive)"

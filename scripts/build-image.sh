#!/usr/bin/env bash
# Builds the container image of docker/Dockerfile WITHOUT a Docker daemon and runs it: `bottleneck info` and a
# short CPU training on MNIST (data mounted read-only, the run folder on a writable mount, no network).
# Not part of CI: it takes a few minutes and needs the Debian mirror (debootstrap, apt-get inside the build).
#
# What it builds: docker/Dockerfile itself, with BASE replaced by a Debian 12 base made here with debootstrap,
# because NVIDIA's CUDA base (and every other registry image) cannot be pulled from these machines. The other
# steps (docker/image-setup.sh, the COPYs, ENV, USER, VOLUME, ENTRYPOINT) are the Dockerfile's. The CUDA libraries
# are therefore absent from the tested image, and the CUDA backend reports why in `info`.
#
# Builders, tried in this order (--builder picks one):
#   buildah  `buildah bud` of docker/Dockerfile, vfs storage, chroot isolation, pushed to an oci-archive tar;
#            run from that tar with podman (runc, vfs), else with `buildah run --isolation chroot`
#   chroot   no image: the Dockerfile's instructions applied to a copy of the debootstrap file system by this
#            script (RUN in chroot, COPY with cp, ENV/USER/WORKDIR/ENTRYPOINT honoured), run with chroot
# --jib additionally tries Jib (jib-maven-plugin:buildTar from Maven Central) against the Dockerfile's real base;
# it needs a registry, so here it only records why it fails.
#
# Usage: scripts/build-image.sh [--builder auto|buildah|chroot] [--runner auto|podman|buildah|chroot]
#                               [--skip-build] [--jib] [--keep]
# Environment: WORK (work folder, wiped first; default /var/tmp/bottleneck-image), SUITE (bookworm),
#   MIRROR (http://deb.debian.org/debian), BOTTLENECK_DATA (folder with mnist/, default ~/.cache/bottleneck/data;
#   fill it with scripts/fetch-data.sh), EPOCHS (1), LIMIT (training samples, default all 60000), BUILD_DIR
#   (Maven build folder, default target), NO_INSTALL=1 (do not apt-get install missing tools).
# Output: $WORK/bottleneck-cpu-test.oci.tar (the image), $WORK/runs/ (the training's model folder),
#   $WORK/report.txt (what ran, sizes, times). Needs root (debootstrap, chroot, vfs storage).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${WORK:-/var/tmp/bottleneck-image}"
suite="${SUITE:-bookworm}"
mirror="${MIRROR:-http://deb.debian.org/debian}"
data="${BOTTLENECK_DATA:-$HOME/.cache/bottleneck/data}"
epochs="${EPOCHS:-1}"
build_dir="${BUILD_DIR:-target}"
[[ "$build_dir" = /* ]] || build_dir="$root/$build_dir"
builder=auto
runner=auto
build=1
jib=0
keep=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --builder) builder="$2"; shift 2 ;;
        --runner) runner="$2"; shift 2 ;;
        --skip-build) build=0; shift ;;
        --jib) jib=1; shift ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
        *) echo "build-image: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
done
case "$builder" in auto|buildah|chroot) ;; *) echo "build-image: --builder auto|buildah|chroot" >&2; exit 2 ;; esac
case "$runner" in auto|podman|buildah|chroot) ;; *) echo "build-image: --runner auto|podman|buildah|chroot" >&2; exit 2 ;; esac

image=localhost/bottleneck:cpu-test
archive="$work/bottleneck-cpu-test.oci.tar"
report="$work/report.txt"
step_name=""
t_start=$SECONDS

say() { echo "build-image: $*"; }
note() { echo "$*" >> "$report"; say "$*"; }
step() { step_name="$1"; echo; say "==== $1"; }
die() { echo "build-image: FAILED in step '${step_name:-setup}': $*" >&2; exit 1; }
trap 'rc=$?; [[ $rc -ne 0 ]] && echo "build-image: FAILED in step '"'"'${step_name:-setup}'"'"' (exit $rc, line $LINENO)" >&2' ERR
elapsed() { echo "$(( SECONDS - $1 ))s"; }

# mounts this script made under $work (chroot runs), innermost first
unmount_work() {
    local m
    for m in $(awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
}
cleanup() {
    [[ -n "${B_CTR:-}" ]] && "${BUILDAH[@]}" rm "$B_CTR" >/dev/null 2>&1 || true
    unmount_work
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------- 0. preconditions
step "preconditions"
[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot and container storage); run with sudo"
[[ "$(uname -m)" == x86_64 ]] || die "x86_64 only (the native jars are linux-x86_64)"
[[ -f "$data/mnist/train-images-idx3-ubyte" || -f "$data/mnist/train-images-idx3-ubyte.gz" ]] \
    || die "no MNIST in $data/mnist: run scripts/fetch-data.sh first (the container downloads nothing)"
data="$(readlink -f "$data")"
need=(debootstrap)
[[ "$builder" != chroot ]] && need+=(buildah)
[[ "$runner" == auto || "$runner" == podman ]] && [[ "$builder" != chroot ]] && need+=(podman runc)
missing=()
for t in "${need[@]}"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ "${NO_INSTALL:-0}" != 1 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing ${missing[*]} with apt-get"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
            || say "apt-get install ${missing[*]} failed; continuing with what exists"
    else
        say "missing: ${missing[*]} (NO_INSTALL=1 or no apt-get)"
    fi
fi
command -v debootstrap >/dev/null 2>&1 || die "debootstrap not installed (apt-get install debootstrap)"

say "work folder $work (wiped)"
unmount_work
if [[ -d "$work" ]]; then
    # buildah's vfs layers may still be mounted from an interrupted run
    command -v buildah >/dev/null 2>&1 && buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs \
        unmount --all >/dev/null 2>&1 || true
    rm -rf "$work"
fi
mkdir -p "$work"
: > "$report"
note "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), host: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
note "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet 2>/dev/null || echo ' (+ uncommitted changes)')"

BUILDAH=(buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs)
# podman: its own store (the image is loaded from the archive, proving the tar), runc because crun refuses hybrid
# cgroup v1/v2 hosts, limits no higher than the host's hard limits (podman's defaults fail setrlimit otherwise)
PODMAN=(podman --root "$work/podman" --runroot "$work/podman-run" --storage-driver vfs --cgroup-manager cgroupfs
        --events-backend file --runtime runc)
nofile="$(ulimit -Hn)"; [[ "$nofile" == unlimited || "$nofile" -gt 1048576 ]] && nofile=1048576
nproc="$(ulimit -Hu)"; [[ "$nproc" == unlimited || "$nproc" -gt 32768 ]] && nproc=32768
PODMAN_LIMITS=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")

# ---------------------------------------------------------------------------------------------- 1. application
step "application jar"
t0=$SECONDS
if [[ $build == 1 ]]; then
    say "mvn -B -q -DskipTests package (into $build_dir)"
    (cd "$root" && mvn -B -q -DskipTests package -Dbottleneck.buildDir="$build_dir") || die "mvn package failed"
fi
[[ -f "$build_dir/bottleneck.jar" && -d "$build_dir/lib" ]] || die "$build_dir/bottleneck.jar or lib/ missing (drop --skip-build)"
# the build context docker/Dockerfile.dockerignore leaves: the jar, target/lib, docker/image-setup.sh, docker/bottleneck
ctx="$work/context"
mkdir -p "$ctx/docker" "$ctx/target"
cp "$root/docker/Dockerfile" "$root/docker/image-setup.sh" "$root/docker/bottleneck" "$ctx/docker/"
cp "$build_dir/bottleneck.jar" "$ctx/target/"
cp -r "$build_dir/lib" "$ctx/target/lib"
note "application: bottleneck.jar + $(ls "$ctx/target/lib" | wc -l) jars in lib ($(du -sm "$ctx/target" | cut -f1) MB), $(elapsed $t0)"

# ---------------------------------------------------------------------------------------------- 2. Jib (optional)
if [[ $jib == 1 ]]; then
    step "Jib (jib-maven-plugin:buildTar, base from a registry)"
    t0=$SECONDS
    base_ref="$(sed -n 's/^ARG BASE=//p' "$root/docker/Dockerfile" | head -1)"
    set +e
    (cd "$root" && timeout 300 mvn -B com.google.cloud.tools:jib-maven-plugin:3.4.4:buildTar \
        -Djib.from.image="$base_ref" -Djib.outputPaths.tar="$work/jib.tar" \
        -Djib.container.mainClass=dev.bottleneck.cli.Main -Dbottleneck.buildDir="$build_dir") > "$work/jib.log" 2>&1
    rc=$?
    set -e
    if [[ $rc == 0 ]]; then
        note "jib: built $work/jib.tar from $base_ref ($(elapsed $t0)); note it lacks the Dockerfile's RUN step (Jib runs no commands)"
    else
        note "jib: FAILED ($(elapsed $t0)): $(grep -m1 'Failed to execute goal' "$work/jib.log" | sed 's/^\[ERROR\] //' | cut -c1-400)"
    fi
fi

# ---------------------------------------------------------------------------------------------- 3. base file system
step "base file system (debootstrap $suite, minbase)"
t0=$SECONDS
debootstrap --variant=minbase "$suite" "$work/rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 \
    || { tail -5 "$work/debootstrap.log" >&2; die "debootstrap failed (log: $work/debootstrap.log)"; }
# what Debian's own container images do: no package caches or lists in the base
rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/log/"*.log
note "base: debootstrap --variant=minbase $suite $mirror: $(du -sm "$work/rootfs" | cut -f1) MB, $(elapsed $t0)"

# ---------------------------------------------------------------------------------------------- 4. build
build_buildah() {
    command -v buildah >/dev/null 2>&1 || { say "buildah not installed"; return 1; }
    say "$(buildah --version)"
    local c m
    c="$("${BUILDAH[@]}" from scratch)" || return 1
    m="$("${BUILDAH[@]}" mount "$c")" || return 1
    tar -C "$work/rootfs" -cf - . | tar -C "$m" -xf - || return 1
    "${BUILDAH[@]}" unmount "$c" >/dev/null
    "${BUILDAH[@]}" config --cmd /bin/bash "$c" || return 1
    "${BUILDAH[@]}" commit -q "$c" localhost/bottleneck-base:"$suite" >/dev/null || return 1
    "${BUILDAH[@]}" rm "$c" >/dev/null
    say "base image localhost/bottleneck-base:$suite committed; building docker/Dockerfile on it"
    "${BUILDAH[@]}" bud --isolation chroot --build-arg BASE=localhost/bottleneck-base:"$suite" \
        -f "$ctx/docker/Dockerfile" -t "$image" "$ctx" > "$work/build.log" 2>&1 \
        || { tail -20 "$work/build.log" >&2; return 1; }
    grep -E '^(STEP|COMMIT|openjdk)' "$work/build.log" || true
    "${BUILDAH[@]}" push -q "$image" "oci-archive:$archive:$image" || return 1
}

# The Dockerfile's instructions, applied to a copy of the base file system (no image, no builder): FROM is the
# debootstrap tree, ARG is ignored, RUN runs in a chroot, COPY is cp, ENV/USER/WORKDIR/ENTRYPOINT/CMD are kept for
# the runs. Only the plain forms this Dockerfile uses are understood; anything else stops the build.
CH_ENV=(); CH_USER=root; CH_WORKDIR=/; CH_ENTRY=()
json_words() {  # ["a", "b"] -> one word a line
    sed -e 's/^[[:space:]]*\[//' -e 's/\][[:space:]]*$//' <<< "$1" | tr ',' '\n' \
        | sed -e 's/^[[:space:]]*"//' -e 's/"[[:space:]]*$//' | sed '/^$/d'
}
chroot_mounts() {  # rootfs: /proc, /dev, resolv.conf for apt
    local r="$1"
    mkdir -p "$r/proc" "$r/dev"
    mountpoint -q "$r/proc" || mount -t proc proc "$r/proc"
    mountpoint -q "$r/dev" || mount --rbind /dev "$r/dev"
}
build_chroot() {
    local r="$work/image-rootfs" line ins rest
    cp -a "$work/rootfs" "$r"
    cp /etc/resolv.conf "$r/etc/resolv.conf"
    chroot_mounts "$r"
    while IFS= read -r line; do
        ins="${line%%[[:space:]]*}"; rest="${line#"$ins"}"; rest="${rest#"${rest%%[![:space:]]*}"}"
        case "$ins" in FROM) say "STEP FROM $rest: the debootstrap tree instead" ;; *) say "STEP $ins $rest" ;; esac
        case "$ins" in
            ARG|FROM) ;;
            RUN) (cd / && chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                    HOME=/root /bin/sh -c "$rest") >> "$work/build.log" 2>&1 || { tail -20 "$work/build.log" >&2; return 1; }
                 grep -E '^openjdk' "$work/build.log" | tail -1 || true ;;
            COPY) local -a w; read -r -a w <<< "$rest"
                  local dst="${w[-1]}" src
                  for src in "${w[@]:0:${#w[@]}-1}"; do
                      if [[ -d "$ctx/$src" ]]; then mkdir -p "$r$dst"; cp -a "$ctx/${src%/}/." "$r$dst"
                      else mkdir -p "$(dirname "$r$dst")"; [[ "$dst" == */ ]] && mkdir -p "$r$dst"; cp -a "$ctx/$src" "$r$dst"; fi
                  done ;;
            ENV) local -a kv; read -r -a kv <<< "$rest"; CH_ENV+=("${kv[@]}") ;;
            USER) CH_USER="$rest" ;;
            WORKDIR) CH_WORKDIR="$rest"; mkdir -p "$r$rest" ;;
            VOLUME) local v; while IFS= read -r v; do mkdir -p "$r$v"; done < <(json_words "$rest") ;;
            ENTRYPOINT) mapfile -t CH_ENTRY < <(json_words "$rest") ;;
            CMD) ;;  # the runs below always pass their arguments
            *) say "instruction $ins not understood by the chroot builder"; return 1 ;;
        esac
    done < <(sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta' "$ctx/docker/Dockerfile" | grep -vE '^[[:space:]]*(#|$)')
    rm -f "$r/etc/resolv.conf"; : > "$r/etc/resolv.conf"
    umount -l "$r/proc" "$r/dev" 2>/dev/null || true
}

step "build"
t0=$SECONDS
built=""
if [[ "$builder" == auto || "$builder" == buildah ]]; then
    if build_buildah; then
        built=buildah
    else
        note "buildah: FAILED (log: $work/build.log)"
        [[ "$builder" == buildah ]] && die "buildah build failed"
    fi
fi
if [[ -z "$built" ]]; then
    say "assembling the image's file system with the Dockerfile's steps in a chroot (no image is made)"
    build_chroot || die "chroot build failed (log: $work/build.log)"
    built=chroot
fi
t_build="$(elapsed $t0)"
if [[ "$built" == buildah ]]; then
    size_img="$("${BUILDAH[@]}" images --format '{{.Size}}' "$image" | head -1)"
    note "build: buildah bud --isolation chroot --storage-driver vfs -f docker/Dockerfile --build-arg BASE=localhost/bottleneck-base:$suite, $t_build"
    note "image: $image, $size_img uncompressed, archive $(basename "$archive") $(( $(stat -c %s "$archive") / 1048576 )) MB (compressed layers)"
else
    note "build: docker/Dockerfile steps applied in a chroot to $work/image-rootfs, $t_build"
    note "file system: $(du -sm "$work/image-rootfs" | cut -f1) MB (no image made)"
fi

# ---------------------------------------------------------------------------------------------- 5. run
# in_image ENTRYPOINT|SHELL ARGS...: runs the image's entry point with ARGS (or /bin/sh -c ARGS) as the image's
# user, /data = $data read-only, /runs = $work/runs writable, no network, read-only root where the runner can.
mkdir -p "$work/runs"
chown 10001:10001 "$work/runs"
B_CTR=""
run_podman() {
    local mode="$1"; shift
    local -a base=("${PODMAN[@]}" run --rm --network none --read-only "${PODMAN_LIMITS[@]}"
                   -v "$data:/data:ro" -v "$work/runs:/runs")
    if [[ "$mode" == shell ]]; then "${base[@]}" --entrypoint /bin/sh "$image" -c "$*"
    else "${base[@]}" "$image" "$@"; fi
}
run_buildah() {
    local mode="$1"; shift
    local -a base=("${BUILDAH[@]}" run --isolation chroot -v "$data:/data:ro" -v "$work/runs:/runs" "$B_CTR" --)
    if [[ "$mode" == shell ]]; then "${base[@]}" /bin/sh -c "$*"
    else "${base[@]}" /usr/local/bin/bottleneck "$@"; fi
}
run_chroot() {
    local mode="$1"; shift
    local r="$work/image-rootfs"
    chroot_mounts "$r"
    mkdir -p "$r/data" "$r/runs" "$r/tmp"
    if ! mountpoint -q "$r/data"; then mount --bind "$data" "$r/data"; mount -o remount,bind,ro "$r/data"; fi
    mountpoint -q "$r/runs" || mount --bind "$work/runs" "$r/runs"
    local -a env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${CH_ENV[@]}")
    local home; home="$(awk -F: -v u="${CH_USER%%:*}" '$1 == u || $3 == u { print $6 }' "$r/etc/passwd")"
    env+=(HOME="${home:-/}")
    local -a base=(chroot --userspec="$CH_USER" "$r" /usr/bin/env -i "${env[@]}")
    if [[ "$mode" == shell ]]; then (cd "$r$CH_WORKDIR" && "${base[@]}" /bin/sh -c "cd $CH_WORKDIR && $*")
    else (cd "$r$CH_WORKDIR" && "${base[@]}" /bin/sh -c "cd $CH_WORKDIR && exec \"\$@\"" sh "${CH_ENTRY[@]}" "$@"); fi
}

step "run: choose a runner"
used=""
candidates=()
case "$runner" in
    auto) if [[ "$built" == buildah ]]; then candidates=(podman buildah chroot); else candidates=(chroot); fi ;;
    *) candidates=("$runner") ;;
esac
for r in "${candidates[@]}"; do
    case "$r" in
        podman)
            command -v podman >/dev/null 2>&1 || { note "podman: not installed"; continue; }
            [[ "$built" == buildah ]] || { note "podman: needs the buildah-built archive"; continue; }
            "${PODMAN[@]}" load -q -i "$archive" >/dev/null 2>"$work/podman-load.log" \
                || { note "podman: load of the archive FAILED: $(tail -1 "$work/podman-load.log")"; continue; }
            if out="$(run_podman shell true 2>&1)"; then used=podman
            else note "podman run: FAILED: $(echo "$out" | tail -1)"; fi ;;
        buildah)
            [[ "$built" == buildah ]] || { note "buildah run: needs the buildah-built image"; continue; }
            # a working container, made here (not in the subshells the runs happen in)
            B_CTR="$("${BUILDAH[@]}" from -q --name bottleneck-run "$image")"
            if out="$(run_buildah shell true 2>&1)"; then used=buildah
            else note "buildah run: FAILED: $(echo "$out" | tail -1)"; fi ;;
        chroot)
            if [[ "$built" != chroot ]]; then
                # unpack the built image's file system (same file system the runners see) for a plain chroot
                c="$("${BUILDAH[@]}" from -q "$image")"; m="$("${BUILDAH[@]}" mount "$c")"
                cp -a "$m" "$work/image-rootfs"; "${BUILDAH[@]}" rm "$c" >/dev/null
                insp() { "${BUILDAH[@]}" inspect --type image --format "$1" "$image"; }
                mapfile -t CH_ENV < <(insp '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
                mapfile -t CH_ENTRY < <(insp '{{range .OCIv1.Config.Entrypoint}}{{println .}}{{end}}' | sed '/^$/d')
                CH_USER="$(insp '{{.OCIv1.Config.User}}')"; CH_USER="${CH_USER:-root}"
                CH_WORKDIR="$(insp '{{.OCIv1.Config.WorkingDir}}')"; CH_WORKDIR="${CH_WORKDIR:-/}"
            fi
            if out="$(run_chroot shell true 2>&1)"; then used=chroot
            else note "chroot run: FAILED: $(echo "$out" | tail -1)"; fi ;;
    esac
    [[ -n "$used" ]] && break
done
[[ -n "$used" ]] || die "no way to run the image worked (see $report)"
case "$used" in
    podman) note "run: podman $(podman --version | awk '{print $3}') (runc, vfs, --network none, --read-only), image loaded from the oci-archive" ;;
    buildah) note "run: buildah run --isolation chroot (not the entry point: /usr/local/bin/bottleneck called directly)" ;;
    chroot) note "run: chroot --userspec=$CH_USER, /proc and /dev mounted, /data bind-mounted read-only" ;;
esac
in_image() { "run_$used" "$@"; }

step "run: user, mounts"
# shellcheck disable=SC2016  # expanded inside the container
checks='echo "user: $(id)"
echo "HOME=$HOME BOTTLENECK_DATA=$BOTTLENECK_DATA BOTTLENECK_BACKEND=$BOTTLENECK_BACKEND"
if touch /data/.w 2>/dev/null; then echo "data: WRITABLE"; exit 1; else echo "data: read-only"; fi
touch /runs/.w && rm /runs/.w && echo "runs: writable"'
in_image shell "$checks" | tee "$work/checks.txt" || die "the container's user or mounts are wrong: $(cat "$work/checks.txt")"
grep -q 'uid=10001' "$work/checks.txt" || die "the image does not run as uid 10001"
note "checks: $(paste -sd';' "$work/checks.txt")"

step "run: bottleneck info"
t0=$SECONDS
in_image entry info | tee "$work/info.txt" || die "bottleneck info failed"
grep -qE '^  cpu +available' "$work/info.txt" || die "the CPU backend is not available in the image"
note "info ($(elapsed $t0)):"
sed 's/^/    /' "$work/info.txt" >> "$report"

step "run: training (CPU, $epochs epoch(s))"
t0=$SECONDS
train_args=(train mnist --data /data --model w1 --epochs "$epochs" --out /runs/w1-image --backend cpu --no-progress --json)
[[ -n "${LIMIT:-}" ]] && train_args+=(--limit "$LIMIT")
in_image entry "${train_args[@]}" 2>&1 | tee "$work/train.txt" || die "training in the image failed"
t_train="$(elapsed $t0)"
last="$(grep '^{"backend"' "$work/train.txt" | tail -1 || true)"
[[ "$last" == '{"backend":"cpu"'* ]] || die "training printed no JSON result line"
for f in model.safetensors config.json optimizer.safetensors trainer.json reconstruction.png; do
    [[ -s "$work/runs/w1-image/$f" ]] || die "training wrote no $f"
done
owner="$(stat -c %u:%g "$work/runs/w1-image/model.safetensors")"
note "training ($t_train): bottleneck ${train_args[*]}"
while IFS= read -r l; do note "    $l"; done < <(grep -E '^(data:|epoch )' "$work/train.txt")
note "    $last"
note "    files in $work/runs/w1-image (owner $owner): $(ls "$work/runs/w1-image" | paste -sd' ')"

# ---------------------------------------------------------------------------------------------- 6. report
step "done"
note "total: $(elapsed $t_start) (builder $built, runner $used)"
if [[ $keep == 0 && "$built" == buildah ]]; then
    # the image stays as the archive; the vfs stores (a full copy per layer) and the unpacked trees go
    "${BUILDAH[@]}" rm -a >/dev/null 2>&1 || true
    unmount_work
    rm -rf "$work/storage" "$work/podman" "$work/rootfs" "$work/image-rootfs" "$work/context"
    say "removed the build stores (--keep keeps them); image: $archive"
fi
echo
cat "$report"

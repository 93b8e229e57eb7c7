#!/usr/bin/env bash
# Makes the tiny committed test fixtures in tests/data/ from the full sets in data/ (run tools/get-data.sh
# first). The fixtures mirror data/'s layout, so a loader pointed at tests/data/ reads them like the real sets:
#
#   tests/data/fmnist/t10k-{images-idx3,labels-idx1}-ubyte   first 256 FashionMNIST test images and labels
#   tests/data/mnist/t10k-{images-idx3,labels-idx1}-ubyte    first 256 MNIST test images and labels
#   tests/data/digits/digits.csv                             first 100 rows of the 8×8 digits
#   tests/data/models/mlp-fmnist.safetensors                 the embedding example's MAP network (--model-only: just this)
#
# Each IDX subset is a valid IDX file: the original header with its item count rewritten to 256.
# Licences: tests/data/LICENSES.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${TANGENT_DATA:-$ROOT/data}"
OUT="$ROOT/tests/data"
COUNT=256

die() { echo "make-fixtures: error: $*" >&2; exit 1; }

# be32 N: N as four big-endian bytes.
be32() { printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"; }

# idx_subset SRC DST HEADER_BYTES ITEM_BYTES: the first $COUNT items of an IDX file.
idx_subset() {
  local src="$1" dst="$2" header="$3" item="$4"
  [[ -f "$src" ]] || die "$src is missing: run tools/get-data.sh first."
  mkdir -p "$(dirname "$dst")"
  {
    head -c 4 "$src"                                        # magic
    be32 "$COUNT"                                           # item count
    head -c $((header + COUNT * item)) "$src" | tail -c +9     # remaining dims, then the items
  } >"$dst"
  local want=$((header + COUNT * item)) got
  got=$(stat -c %s "$dst")
  [[ "$got" == "$want" ]] || die "$dst has $got bytes, expected $want."
}

# The MAP checkpoint of examples/Embedding: a 784-32-10 ReLU MLP (25,450 parameters, 102 KB) trained on all of
# Fashion-MNIST for 5 epochs (Adam 1e-3, batch 64, seed 0; test accuracy 0.859 when made).
model_fixture() {
  "$ROOT/tools/tangent" train --model mlp --config 'widths=32' --data fmnist --data-root "$DATA" --epochs 5 --seed 0 \
    --out "$OUT/models/mlp-fmnist.safetensors"
}
if [[ "${1:-}" == --model-only ]]; then model_fixture; exit 0; fi

for set in fmnist mnist; do
  idx_subset "$DATA/$set/t10k-images-idx3-ubyte" "$OUT/$set/t10k-images-idx3-ubyte" 16 784
  idx_subset "$DATA/$set/t10k-labels-idx1-ubyte" "$OUT/$set/t10k-labels-idx1-ubyte" 8 1
done

[[ -f "$DATA/digits/digits.csv" ]] || die "$DATA/digits/digits.csv is missing: run tools/get-data.sh first."
mkdir -p "$OUT/digits"
head -n 100 "$DATA/digits/digits.csv" >"$OUT/digits/digits.csv"

model_fixture

total=$(du -cb "$OUT"/fmnist/* "$OUT"/mnist/* "$OUT"/digits/* "$OUT"/models/* | tail -1 | cut -f1)
(( total <= 1048576 )) || die "fixtures total $total bytes, over the 1 MiB budget."
echo "make-fixtures: wrote $OUT (fmnist, mnist: $COUNT test images + labels each; digits: 100 rows; the MLP checkpoint; $total bytes)"

#!/usr/bin/env bash
# The main job on a fresh machine: fetch the data sets, build, list the compute devices, run the GEMM
# benchmark, then train LeNet on MNIST for two epochs and evaluate the checkpoint (a few minutes on 2 cores).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/out"
mkdir -p "$OUT"

"$ROOT/tools/get-data.sh"
"$ROOT/tools/tangent" devices
"$ROOT/tools/tangent" bench gemm --rounds 3 --json "$OUT/gemm.json"
"$ROOT/tools/tangent" train --model lenet --data mnist --epochs 2 --out "$OUT/lenet-demo.safetensors" --json "$OUT/lenet-demo.json"
"$ROOT/tools/tangent" evaluate --model "$OUT/lenet-demo.safetensors" --data mnist

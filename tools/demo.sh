#!/usr/bin/env bash
# The main job on a fresh machine: fetch the data sets (skipped when present), then the five-minute demo —
# LeNet trained briefly on FashionMNIST, and MAP, ScaLLA-bias and VIKING side by side on accuracy, NLL, ECE and
# telling MNIST digits apart from FashionMNIST (tools/tangent reproduce demo). Writes results/demo/report.md,
# results.json and the plots; its steps go to out/reproduce/demo/ and are reused by a second run (--fresh redoes them).
# Extra arguments go to `tangent reproduce` (e.g. --fresh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

tools/get-data.sh
exec tools/tangent reproduce demo "$@"

#!/usr/bin/env bash
# The main job on a fresh machine: fetch the data sets, build, list the compute devices, and run the GEMM
# benchmark. Later issues extend it to the end-to-end demo.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

"$ROOT/tools/get-data.sh"
"$ROOT/tools/tangent" devices
"$ROOT/tools/tangent" bench gemm "$@"

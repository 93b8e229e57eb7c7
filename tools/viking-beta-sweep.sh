#!/usr/bin/env bash
# VIKING's KL weight β chosen on the validation split: LeNet fits on the 55,000 training images of DATA (mnist or
# fmnist; default mnist) under a short schedule (5 plain, 5 scales, 15 ELBO epochs; about 5 min each on 2 cores
# quiet) for each β given (default: 5.8e-4 = 1/batches per epoch, 1e-4, 3e-5, 1e-5), constant and cosine learning
# rate over the ELBO phase, and one Markdown row per fit with the sampled predictive on the 5,000 held-out images
# (never the test set). docs/viking.md has the table. Files in out/viking-sweep/.
#   tools/viking-beta-sweep.sh [DATA] [BETA ...]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-mnist}
shift || true
betas=("$@")
[[ ${#betas[@]} -gt 0 ]] || betas=(0.000582 0.0001 0.00003 0.00001)
case "$data" in mnist|fmnist) ;; *) echo "viking-beta-sweep: DATA must be mnist or fmnist, got '$data'." >&2; exit 2 ;; esac
mkdir -p out/viking-sweep
echo "| data | β | learning rate | σ_ker | σ_im | validation accuracy | NLL (averaged) | expected NLL | fit (s) |"
echo "|---|---:|---|---:|---:|---:|---:|---:|---:|"
for beta in "${betas[@]}"; do
for lr in constant cosine; do
  name="$data-$beta-$lr"
  tools/tangent fit viking --model lenet --data "$data" --schedule 5,5,15 --beta "$beta" --lr-schedule $lr \
    --out "out/viking-sweep/$name.safetensors" --json "out/viking-sweep/$name.json" > "out/viking-sweep/$name.log" 2>&1 \
    || { echo "viking-beta-sweep: the fit $name failed; see out/viking-sweep/$name.log" >&2; exit 1; }
  python3 - "out/viking-sweep/$name.json" "$data" "$beta" "$lr" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); h = r["hyperparameters"]; v = r["validation"]
print(f"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {float(h['sigma_kernel']):.3f} | {float(h['sigma_image']):.4f} | "
      f"{v['accuracy']:.4f} | {v['nll']:.4f} | {v['expected_nll']:.4f} | {r['seconds']:.0f} |", flush=True)
PY
done; done

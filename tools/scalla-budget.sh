#!/usr/bin/env bash
# ScaLLA-bias budget curve: accuracy and Gaussian-entropy AUROC (FashionMNIST vs MNIST test) against point-probe JVPs,
# for the contexts digits28 and edges at 100 … 3,120 steps of 8 + 8 points (about 5 min on 2 cores). Needs the MAP
# network out/map-fmnist-cnn.safetensors (tools/tangent train --model fmnist-cnn --data fmnist --epochs 40 --out
# out/map-fmnist-cnn.safetensors). Prints one Markdown row per fit (docs/scalla.md has the table); files in out/budget/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f out/map-fmnist-cnn.safetensors ]]; then
  echo "scalla-budget: out/map-fmnist-cnn.safetensors is missing; train it first (see the comment at the top of this script)." >&2
  exit 2
fi
mkdir -p out/budget
for ctx in digits28 edges; do
for steps in 100 200 400 780 1560 3120; do
  tools/tangent fit scalla --map out/map-fmnist-cnn.safetensors --data fmnist --context $ctx --bias --steps $steps \
    --out out/budget/$ctx-$steps.safetensors --json out/budget/$ctx-$steps.fit.json > out/budget/$ctx-$steps.fit.log 2>&1
  tools/tangent evaluate --model out/budget/$ctx-$steps.safetensors --data fmnist --ood mnist --json out/budget/$ctx-$steps.eval.json > out/budget/$ctx-$steps.eval.log 2>&1
  python3 - "$ctx" "$steps" <<'PY'
import json,sys
ctx,steps=sys.argv[1],int(sys.argv[2])
f=json.load(open(f"out/budget/{ctx}-{steps}.fit.json")); e=json.load(open(f"out/budget/{ctx}-{steps}.eval.json"))
def find(d,key):
    if isinstance(d,dict):
        for k,v in d.items():
            if k==key: return v
            r=find(v,key)
            if r is not None: return r
    if isinstance(d,list):
        for v in d:
            r=find(v,key)
            if r is not None: return r
    return None
sc=e['ood']['scores']
print(f"| {ctx} | {steps} | {f['point_probe_jvps']:,} | {find(e,'accuracy'):.4f} | {find(e,'nll'):.4f} | {sc['gaussian_entropy']['auroc']:.4f} | {sc['predictive_entropy']['auroc']:.4f} | {find(f,'training_seconds') or find(f,'seconds')} |", flush=True)
PY
done; done

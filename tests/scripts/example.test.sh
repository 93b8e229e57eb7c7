#!/usr/bin/env bash
# Runs the embedding example (examples/Embedding, built by .ci/run with Engine.sln) on the committed fixtures: the
# MAP checkpoint tests/data/models/mlp-fmnist.safetensors and the 256 Fashion-MNIST test images. It fits last-layer
# Laplace on 248 of them and predicts the last 8. Checks the exit code, the prior precision line, and that each of
# the 8 rows is a valid prediction: a probability in [1/10, 1] (the winner of 10 classes), a positive logit std, an
# entropy in [0, log 10]; and that the 86 %-accurate network gets at least 5 of the 8 right. One PASS/FAIL line per case.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DLL="$ROOT/examples/Embedding/bin/Release/net10.0/embedding.dll"
DATA="$ROOT/tests/data"
failed=0
pass() { echo "example.test: PASS $1"; }
fail() { echo "example.test: FAIL $1"; failed=1; }

command -v dotnet >/dev/null 2>&1 || { echo "example.test: SKIP: the .NET SDK is not installed."; exit 0; }
if [[ ! -f "$DLL" ]]; then
  dotnet build "$ROOT/examples/Embedding" -c Release -nologo -v quiet >/dev/null || { fail "the example does not build"; exit 1; }
fi

out="$(dotnet "$DLL" "$DATA/models/mlp-fmnist.safetensors" "$DATA/fmnist/t10k-images-idx3-ubyte" "$DATA/fmnist/t10k-labels-idx1-ubyte" 2>&1)"
rc=$?
echo "$out"
[[ $rc -eq 0 ]] && pass "runs on the fixtures (exit 0)" || fail "exit code $rc"

grep -Eq '^mlp: last-layer Laplace on 248 images, prior precision α\* = [0-9.]+(E[-+]?[0-9]+)?$' <<<"$out" \
  && pass "reports the fitted prior precision" || fail "no prior precision line"

rows="$(grep -E '^ +[0-9]+  ' <<<"$out")"
verdict="$(awk '
  { n++; p = $(NF-2); s = $(NF-1); h = $NF
    if (p < 0.1 || p > 1 || s <= 0 || h < 0 || h > log(10) + 1e-9) bad++
    if ($2 == $3) right++ }
  END { printf "%d %d %d\n", n, bad + 0, right + 0 }' <<<"$rows")"
read -r n bad right <<<"$verdict"
[[ "$n" == 8 ]] && pass "predicts 8 images" || fail "$n prediction rows instead of 8"
[[ "$bad" == 0 ]] && pass "probabilities, logit stds and entropies are in range" || fail "$bad rows out of range"
(( right >= 5 )) && pass "$right of 8 predictions right" || fail "only $right of 8 predictions right"
exit $failed

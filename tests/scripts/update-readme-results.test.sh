#!/usr/bin/env bash
# Tests tools/update-readme-results.sh on a copy of the README and a made-up results/ folder: the comparison table of
# a report lands between its README markers with the report's command and date, the reliability diagram the report
# names is linked, tables without a report say how to make one, a second run changes nothing, and a README without
# the markers is refused and left unchanged. One PASS/FAIL line per case.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCRIPT="$ROOT/tools/update-readme-results.sh"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/readme-results-test.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
failed=0
pass() { echo "update-readme-results.test: PASS $1"; }
fail() { echo "update-readme-results.test: FAIL $1"; failed=1; }

cp "$ROOT/README.md" "$TMP/README.md"
mkdir -p "$TMP/results/scalla-fmnist"
cat >"$TMP/results/scalla-fmnist/report.md" <<'REPORT'
# A report

<!-- readme-plot: plots/scalla-bias/reliability.png -->

- command: `tools/tangent reproduce scalla-fmnist --seeds 3`
- date: 2026-12-07 10:00 UTC to 2026-12-07 10:40 UTC (1-minute load average 0.1 at the start, 2.0 at the end)

<!-- results-table:begin -->
| method | | acc |
|---|---|---:|
| MAP | ours | 0.9102 ± 0.0011 |
<!-- results-table:end -->

Other text that must not be copied.
REPORT

"$SCRIPT" "$TMP/README.md" "$TMP/results" >/dev/null
rc=$?
[[ $rc -eq 0 ]] && pass "runs (exit 0)" || fail "exit code $rc"

block="$(sed -n '/^<!-- reproduce:scalla-fmnist:begin -->$/,/^<!-- reproduce:scalla-fmnist:end -->$/p' "$TMP/README.md")"
grep -qxF '| MAP | ours | 0.9102 ± 0.0011 |' <<<"$block" && pass "the table is between the markers" || fail "the table is missing: $block"
grep -qF 'From [results/scalla-fmnist/report.md](results/scalla-fmnist/report.md) (made by `tools/tangent reproduce scalla-fmnist --seeds 3`, 2026-12-07 10:00 UTC to 2026-12-07 10:40 UTC):' <<<"$block" \
  && pass "names the report, command and date" || fail "no source line: $block"
grep -qF 'Other text' "$TMP/README.md" && fail "copied text outside the markers" || pass "copies only the table"
grep -qxF '![Reliability diagram, scalla-fmnist](results/scalla-fmnist/plots/scalla-bias/reliability.png)' "$TMP/README.md" \
  && pass "links the reliability diagram" || fail "no diagram link"
sed -n '/^<!-- reproduce:viking-mnist:begin -->$/,/^<!-- reproduce:viking-mnist:end -->$/p' "$TMP/README.md" \
  | grep -qF 'Not generated yet: run `tools/tangent reproduce viking-mnist`' && pass "a missing report says how to make it" || fail "no placeholder"

cp "$TMP/README.md" "$TMP/first.md"
"$SCRIPT" "$TMP/README.md" "$TMP/results" >/dev/null
cmp -s "$TMP/first.md" "$TMP/README.md" && pass "a second run changes nothing" || fail "a second run changed the README"

grep -vF '<!-- reproduce:demo:end -->' "$TMP/README.md" >"$TMP/broken.md"
"$SCRIPT" "$TMP/broken.md" "$TMP/results" >/dev/null 2>"$TMP/err"
rc=$?
[[ $rc -eq 2 ]] && grep -qF 'lacks the markers' "$TMP/err" && pass "a README without the markers is refused" || fail "exit $rc: $(cat "$TMP/err")"
grep -vF '<!-- reproduce:demo:end -->' "$TMP/README.md" | cmp -s - "$TMP/broken.md" && pass "a refused README is left as it was" || fail "a refused README was changed"
exit $failed

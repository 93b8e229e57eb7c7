#!/usr/bin/env bash
# Copies the latest reproduced tables into README.md: for each table, the comparison table between the markers
# "<!-- results-table:begin/end -->" of results/TABLE/report.md (written by `tools/tangent reproduce TABLE`)
# replaces what stands between "<!-- reproduce:TABLE:begin -->" and "<!-- reproduce:TABLE:end -->" in the README,
# with the command and date the report states. The reliability diagram named by the first report's
# "<!-- readme-plot: PATH -->" line replaces the block "<!-- reproduce:plot:begin/end -->". Tables without a
# report get a line saying how to make it. Nothing is typed by hand; run it after `tools/tangent reproduce`.
#   tools/update-readme-results.sh [README] [RESULTS-DIR]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
README="${1:-$ROOT/README.md}"
RESULTS="${2:-$ROOT/results}"
TABLES=(scalla-fmnist viking-mnist viking-fmnist demo)
# The README links results relative to itself.
LINK="$(realpath --relative-to="$(dirname "$README")" "$RESULTS" 2>/dev/null || echo results)"

[[ -f "$README" ]] || { echo "update-readme-results: $README does not exist." >&2; exit 2; }
TMP="$(mktemp -d "${TMPDIR:-/tmp}/readme-results.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
# Every block is replaced in a copy; the README changes only when all of them succeeded.
WORK="$TMP/readme.md"
cp "$README" "$WORK"

# replace_block NAME FILE: the lines between "<!-- reproduce:NAME:begin -->" and its end marker become FILE's.
replace_block() {
  local name="$1" content="$2" begin="<!-- reproduce:$1:begin -->" end="<!-- reproduce:$1:end -->"
  grep -qxF "$begin" "$WORK" && grep -qxF "$end" "$WORK" \
    || { echo "update-readme-results: $README lacks the markers $begin / $end." >&2; exit 2; }
  awk -v begin="$begin" -v end="$end" -v content="$content" '
    $0 == begin { print; while ((getline line < content) > 0) print line; skip = 1; next }
    $0 == end { skip = 0 }
    !skip { print }
  ' "$WORK" >"$TMP/next.md" && mv "$TMP/next.md" "$WORK"
}

plot=""
for table in "${TABLES[@]}"; do
  report="$RESULTS/$table/report.md"
  block="$TMP/$table.md"
  if [[ -f "$report" ]]; then
    grep -qxF "<!-- results-table:begin -->" "$report" \
      || { echo "update-readme-results: $report has no results table (regenerate it)." >&2; exit 2; }
    command="$(sed -n 's/^- command: //p' "$report" | head -n 1)"
    date="$(sed -n 's/^- date: \([^(]*\).*/\1/p' "$report" | head -n 1 | sed 's/ *$//')"
    {
      echo "From [$LINK/$table/report.md]($LINK/$table/report.md) (made by $command, $date):"
      echo
      sed -n '/^<!-- results-table:begin -->$/,/^<!-- results-table:end -->$/p' "$report" | sed '1d;$d'
    } >"$block"
    if [[ -z "$plot" ]]; then
      path="$(sed -n 's/^<!-- readme-plot: \(.*\) -->$/\1/p' "$report" | head -n 1)"
      [[ -n "$path" ]] && plot="![Reliability diagram, $table]($LINK/$table/$path)"
    fi
  else
    echo "Not generated yet: run \`tools/tangent reproduce $table\`, then \`tools/update-readme-results.sh\`." >"$block"
  fi
  replace_block "$table" "$block"
done
echo "${plot:-No reliability diagram yet: no report names one.}" >"$TMP/plot.md"
replace_block plot "$TMP/plot.md"
cp "$WORK" "$README.tmp.$$" && mv "$README.tmp.$$" "$README"
echo "update-readme-results: updated $README from $RESULTS"

#!/usr/bin/env bash
# Tests tools/get-data.sh's recovery on a fresh machine (an empty package index): with root or password-less
# sudo, a failed `apt-get download` runs `apt-get update` once and retries; without, the error says what to run.
# apt-get, id and sudo are stubs first on PATH (they log their calls); dpkg, dpkg-deb and the rest are the real
# tools. Run by .ci/run; prints one line per case and exits non-zero when one fails.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/get-data-test.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
failed=0

for tool in dpkg dpkg-deb; do
  command -v "$tool" >/dev/null 2>&1 || { echo "get-data.test: SKIP: '$tool' is not installed (Debian only)."; exit 0; }
done

# A real .deb holding one file, for the stub's successful download.
mkdir -p "$TMP/pkg/DEBIAN" "$TMP/pkg/usr/share/demo"
printf 'Package: demo-data\nVersion: 1.0\nArchitecture: all\nMaintainer: test <test@example.org>\nDescription: test\n' >"$TMP/pkg/DEBIAN/control"
echo "payload" >"$TMP/pkg/usr/share/demo/file.txt"
dpkg-deb --build --root-owner-group "$TMP/pkg" "$TMP/demo-data_1.0_all.deb" >/dev/null

# Stubs: apt-get fails `download` until `update` has run (an empty index), unless STUB_INDEX_BROKEN=1, when
# it always fails; `id -u` prints STUB_UID; sudo succeeds only when STUB_SUDO=1, and then runs its command.
mkdir -p "$TMP/bin"
cat >"$TMP/bin/apt-get" <<STUB
#!/usr/bin/env bash
echo "apt-get \$*" >>"\$STUB_LOG"
case "\$1" in
  update) touch "\$STUB_STATE/updated" ;;
  download)
    if [[ -f "\$STUB_STATE/updated" && "\${STUB_INDEX_BROKEN:-0}" != 1 ]]; then cp "$TMP/demo-data_1.0_all.deb" .; exit 0; fi
    echo "E: Unable to locate package \${2%%=*}" >&2; exit 100 ;;
  *) exit 100 ;;
esac
STUB
cat >"$TMP/bin/id" <<'STUB'
#!/usr/bin/env bash
echo "${STUB_UID}"
STUB
cat >"$TMP/bin/sudo" <<'STUB'
#!/usr/bin/env bash
[[ "${STUB_SUDO:-0}" == 1 ]] || { echo "sudo: a password is required" >&2; exit 1; }
[[ "$1" == -n ]] && shift
echo "sudo $*" >>"$STUB_LOG"
exec "$@"
STUB
chmod +x "$TMP/bin/"*

# run_case NAME UID SUDO BROKEN: fetches demo-data twice in one run of the sourced script; leaves its exit code
# in $TMP/NAME/rc, its output in $TMP/NAME/out and the stub calls in $TMP/NAME/log.
run_case() {
  local dir="$TMP/$1"
  mkdir -p "$dir/state"
  (
    export PATH="$TMP/bin:$PATH" STUB_LOG="$dir/log" STUB_STATE="$dir/state" STUB_UID="$2" STUB_SUDO="$3" STUB_INDEX_BROKEN="$4"
    export TANGENT_DATA="$dir/data"
    source "$ROOT/tools/get-data.sh"
    deb "demo-data=1.0"
    [[ -f "$WORK/demo-data/usr/share/demo/file.txt" ]] || { echo "not extracted"; exit 3; }
    deb "demo-data=1.0"
  ) >"$dir/out" 2>&1
  echo $? >"$dir/rc"
  touch "$dir/log"
}

# check NAME CONDITION DESCRIPTION
check() {
  if eval "$2"; then echo "get-data.test: PASS $1: $3"
  else
    echo "get-data.test: FAIL $1: $3"
    sed 's/^/    out: /' "$TMP/$1/out"; sed 's/^/    log: /' "$TMP/$1/log"
    failed=1
  fi
}
count() { grep -c -- "$2" "$TMP/$1/log"; }

run_case root 0 0 0
check root '[[ $(cat $TMP/root/rc) == 0 && $(count root "apt-get update") == 1 && $(count root "apt-get download") == 3 ]]' \
  "as root, a package not found runs apt-get update once and the retry succeeds"

run_case sudo 1000 1 0
check sudo '[[ $(cat $TMP/sudo/rc) == 0 && $(count sudo "sudo apt-get update") == 1 && $(count sudo "apt-get download") == 3 ]]' \
  "with password-less sudo, the same through sudo"

run_case user 1000 0 0
check user '[[ $(cat $TMP/user/rc) != 0 && $(count user "apt-get update") == 0 ]] && grep -q "run '"'"'apt-get update'"'"' once as root" "$TMP/user/out"' \
  "without root, no update is tried and the error says to run apt-get update as root"

run_case broken 0 0 1
check broken '[[ $(cat $TMP/broken/rc) != 0 && $(count broken "apt-get update") == 1 && $(count broken "apt-get download") == 2 ]] && grep -q "could not download the Debian package demo-data=1.0" "$TMP/broken/out"' \
  "when the retry fails too, the index is refreshed only once and the error names the package"

exit "$failed"

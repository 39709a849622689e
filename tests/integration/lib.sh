# Shared by the integration scripts: a temp dir, and checks with messages.
set -u
: "${VIGILCTL:?VIGILCTL must name the vigilctl binary}"
T=$(mktemp -d /tmp/vigil-it-XXXXXX)
trap 'rm -rf "$T"' EXIT
export VIGIL_DB="$T/vigil.db"
export VIGIL_KEY="$T/signing.key"
fails=0
passes=0

pass() { passes=$((passes + 1)); echo "ok - $*"; }
fail() { fails=$((fails + 1)); echo "FAIL - $*"; }

# expect CODE DESCRIPTION -- COMMAND...: run, keep output in $T/out, check exit.
expect() {
  local want=$1 what=$2; shift 3
  "$@" >"$T/out" 2>&1
  local got=$?
  if [ "$got" -eq "$want" ]; then pass "$what"; else
    fail "$what (exit $got, wanted $want)"; sed 's/^/    /' "$T/out"; fi
}

# output_has PATTERN DESCRIPTION: the last command's output matches.
output_has() {
  if grep -qE -- "$1" "$T/out"; then pass "$2"; else
    fail "$2 (no /$1/ in output)"; sed 's/^/    /' "$T/out"; fi
}

finish() {
  echo "$passes passed, $fails failed"
  [ "$fails" -eq 0 ]
}

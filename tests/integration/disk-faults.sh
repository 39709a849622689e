#!/usr/bin/env bash
# A full disk, a file-size limit and a locked database during ingest: each
# gives a clear error and a non-zero exit, and leaves the ledger valid with
# every acknowledged batch in it.
. "$(dirname "$0")/lib.sh"
V=$VIGILCTL

# Lines with a 20 kB raw payload each, to fill a small file system quickly.
/usr/bin/env python3 - "$T/big.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(400):
        f.write(json.dumps({"platform": "x", "post": {"id": str(i), "text": "post %d" % i},
                            "author": {"id": "a"}, "raw": {"pad": "%05d" % i + "z" * 20000}}) + "\n")
PY

# 1. Full disk: a 2 MB tmpfs, mounted in a private namespace.
if unshare -rm true 2>/dev/null; then
  unshare -rm bash -s "$T" "$V" <<'SH' > "$T/full.out" 2>&1
set -u
T=$1; V=$2; M=$T/small
mkdir -p "$M" && mount -t tmpfs -o size=2m tmpfs "$M" || exit 90
export VIGIL_DB=$M/v.db VIGIL_KEY=$M/k
$V init >/dev/null || exit 91
$V ingest --batch 10 "$T/big.jsonl" > "$T/full.log" 2>&1; echo "ingest=$?"
cp "$M/v.db" "$T/full.db" 2>/dev/null; cp "$M/k" "$T/k" 2>/dev/null
$V verify; echo "verify=$?"
SH
  cp "$T/full.out" "$T/out"
  output_has "ingest=4" "ingest on a full disk exits 4"
  cp "$T/full.log" "$T/out"
  output_has "disk full" "the message says the disk is full"
  output_has "stored 10 entries" "batches before the disk filled were stored"
  cp "$T/full.out" "$T/out"
  output_has "^OK: " "the ledger verifies after the full disk"
  output_has "verify=0" "verify exits 0"
else
  echo "skip - full disk: cannot create a mount namespace here"
fi

# 2. A file-size limit: the write fails mid-batch (EFBIG).
export VIGIL_DB=$T/lim/v.db VIGIL_KEY=$T/lim/k
mkdir -p "$T/lim" && $V init >/dev/null
( trap '' XFSZ; ulimit -f 1500; exec $V ingest --batch 10 "$T/big.jsonl" ) > "$T/lim.log" 2>&1
code=$?
[ "$code" -eq 4 ] && pass "ingest past the file-size limit exits 4" || { fail "file-size limit exit $code"; cat "$T/lim.log"; }
expect 0 "the ledger verifies after the failed write" -- $V verify
grep -q "^stored" "$T/lim.log" && pass "some batches were stored first" || fail "no batch stored"
last=$(sed -n 's/^stored [0-9]* entries: seq [0-9]*\.\.\([0-9]*\),.*/\1/p' "$T/lim.log" | tail -n 1)
expect 0 "the last acknowledged entry is present" -- $V show "$last"

# 3. A database locked by another process for longer than vigil waits.
export VIGIL_DB=$T/lock/v.db VIGIL_KEY=$T/lock/k
mkdir -p "$T/lock" && $V init >/dev/null
/usr/bin/env python3 - "$VIGIL_DB" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[1] + ".locked", "w").close()
time.sleep(14)
c.execute("ROLLBACK")
PY
holder=$!
for _ in $(seq 50); do [ -e "$VIGIL_DB.locked" ] && break; sleep 0.1; done
expect 4 "ingest into a locked database exits 4" -- $V ingest <(head -n 2 "$T/big.jsonl")
output_has "locked" "the message says the database is locked"
wait $holder
expect 0 "ingest works once the lock is gone" -- $V ingest <(head -n 2 "$T/big.jsonl")
expect 0 "and the ledger verifies" -- $V verify

finish

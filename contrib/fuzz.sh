#!/usr/bin/env bash
# Run every fuzz target with libFuzzer (clang, AddressSanitizer, UBSan) for
# SECONDS each (default 60), starting from its saved corpus, and print the
# executions and coverage of each run. New crashes are left in
# build-fuzz/crashes/. A target's dictionary, tests/fuzz/TARGET.dict, is
# used when there is one. Usage: contrib/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true

contrib/deps.sh clang libclang-rt-14-dev
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false >/dev/null
fi
meson compile -C build-fuzz >/dev/null
mkdir -p build-fuzz/crashes
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=($(ls tests/fuzz/corpus))
fi
printf '%-16s %12s %8s %8s %s\n' target executions cov ft result
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  cp -r "tests/fuzz/corpus/$t/." "$work/"
  log=build-fuzz/fuzz-$t.log
  dict=()
  if [ -f "tests/fuzz/$t.dict" ]; then
    dict=(-dict="tests/fuzz/$t.dict")
  fi
  set +e
  "build-fuzz/tests/fuzz/fuzz-$t" -max_total_time="$secs" -print_final_stats=1 "${dict[@]}" \
    -artifact_prefix=build-fuzz/crashes/"$t"- "$work" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  printf '%-16s %12s %8s %8s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
    "$([ $rc -eq 0 ] && echo ok || echo "CRASH (see $log)")"
  rm -rf "$work"
done

#!/usr/bin/env bash
# Run every fuzz target with libFuzzer (clang, AddressSanitizer, UBSan) for
# SECONDS each (default 60), starting from its saved corpus, and print the
# executions and coverage of each run. New crashes are left in
# build-fuzz/crashes/. A target's dictionary, tests/fuzz/TARGET.dict, is
# used when there is one. Usage: contrib/fuzz.sh [--cpu] [SECONDS] [TARGET...]
#
# With --cpu, SECONDS is CPU time, not wall time: each target is run in
# slices of at most 600 s until its own processes have used SECONDS of CPU,
# so a long run counts the same on a busy machine as on an idle one. The
# corpus grows from slice to slice and is kept in build-fuzz/long/TARGET/.
# FUZZ_NICE sets the nice level of the fuzzer (default 0).
set -euo pipefail
cd "$(dirname "$0")/.."
cpu=0
if [ "${1:-}" = --cpu ]; then
  cpu=1
  shift
fi
secs=${1:-60}
shift || true

contrib/deps.sh clang libclang-rt-14-dev time
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false >/dev/null
fi
# Two runs started together must not build at once.
flock build-fuzz/.build-lock meson compile -C build-fuzz >/dev/null
mkdir -p build-fuzz/crashes
# An UBSan report stops the run and leaves its input, like a crash.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=($(ls tests/fuzz/corpus))
fi
printf '%-16s %12s %8s %8s %s\n' target executions cov ft result
for t in "${targets[@]}"; do
  if [ $cpu -eq 1 ]; then
    work=build-fuzz/long/$t
    mkdir -p "$work"
  else
    work=$(mktemp -d)
  fi
  cp -r "tests/fuzz/corpus/$t/." "$work/"
  log=build-fuzz/fuzz-$t.log
  : >"$log"
  dict=()
  if [ -f "tests/fuzz/$t.dict" ]; then
    dict=(-dict="tests/fuzz/$t.dict")
  fi
  used=0 execs=0 rc=0 slices=0
  while :; do
    if [ $cpu -eq 1 ]; then
      left=$((secs - used))
      [ $left -gt 0 ] || break
      wall=$((left < 600 ? left : 600))
    else
      wall=$secs
    fi
    set +e
    /usr/bin/time -f 'cpu %U %S' -a -o "$log.time" \
      nice -n "${FUZZ_NICE:-0}" "build-fuzz/tests/fuzz/fuzz-$t" -max_total_time="$wall" \
      -print_final_stats=1 "${dict[@]}" -artifact_prefix=build-fuzz/crashes/"$t"- "$work" \
      >>"$log" 2>&1
    rc=$?
    set -e
    slices=$((slices + 1))
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    execs=$((execs + ${n:-0}))
    used=$(awk '$1 == "cpu" { t += $2 + $3 } END { printf "%d", t }' "$log.time")
    [ $rc -eq 0 ] && [ $cpu -eq 1 ] || break
  done
  rm -f "$log.time"
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  printf '%-16s %12s %8s %8s %s\n' "$t" "$execs" "${cov:-?}" "${ft:-?}" \
    "$([ $rc -eq 0 ] && echo "ok, ${used} CPU s in $slices run(s)" || echo "CRASH (see $log)")"
  [ $cpu -eq 1 ] || rm -rf "$work"
done

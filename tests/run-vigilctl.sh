#!/bin/sh
# The integration tests call vigilctl through this script, so that the
# valgrind test setup ($VIGIL_WRAPPER) checks every run of it.
exec ${VIGIL_WRAPPER:-} "$VIGILCTL_BIN" "$@"

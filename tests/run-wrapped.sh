#!/bin/sh
# Run a test program under $VIGIL_WRAPPER (set by the valgrind test setup).
exec ${VIGIL_WRAPPER:-} "$@"

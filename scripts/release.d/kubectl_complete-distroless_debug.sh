#!/bin/sh
# kubectl 1.26+ runs this (found on PATH) to complete `kubectl distroless-debug ...`:
# it asks the plugin binary next to it (or else the one on PATH), which prints
# the candidates in cobra's format. See the caveats of the krew manifest.
case $0 in
  */*) if [ -x "${0%/*}/kubectl-distroless_debug" ]; then exec "${0%/*}/kubectl-distroless_debug" __complete "$@"; fi ;;
esac
exec kubectl-distroless_debug __complete "$@"

#!/bin/sh
# kubectl 1.26+ runs this (found on PATH) to complete `kubectl distroless-debug ...`:
# it asks the plugin binary next to it (or else the one on PATH), which prints
# the candidates in cobra's format. See the caveats of the krew manifest.
dir=$(dirname "$0")
if [ -x "$dir/kubectl-distroless_debug" ]; then
  exec "$dir/kubectl-distroless_debug" __complete "$@"
fi
exec kubectl-distroless_debug __complete "$@"

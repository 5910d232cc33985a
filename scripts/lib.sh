# shellcheck shell=bash
# Shared helpers for leadflow's scripts (sourced, not run).
# LEADFLOW_CACHE holds what is downloaded (Kafka jars, buf); it lives outside the source tree so a
# fresh clone reuses it and `git clean` never throws it away.
LEADFLOW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LEADFLOW_CACHE="${LEADFLOW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/leadflow}"
LEADFLOW_RUN="${LEADFLOW_RUN:-${LEADFLOW_ROOT}/.run}"
export LEADFLOW_ROOT LEADFLOW_CACHE LEADFLOW_RUN

log() { printf '[leadflow] %s\n' "$*" >&2; }
warn() { printf '[leadflow] WARNING: %s\n' "$*" >&2; }
die() { printf '[leadflow] ERROR: %s\n' "$*" >&2; exit 1; }

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: polls COMMAND until it succeeds or the deadline passes.
wait_for() {
  local what="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      warn "timed out after ${timeout}s waiting for ${what}"
      return 1
    fi
    sleep 0.2
  done
}

#!/usr/bin/env bash
# Stops what scripts/up.sh started: every service (gracefully, SIGTERM then SIGKILL after a timeout)
# and the local Kafka. Keeps data for the next up; `--purge` deletes the services' state and Kafka's data.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "${here}/lib.sh"
# shellcheck source=services.sh
source "${here}/services.sh"

purge=0
[[ "${1:-}" == "--purge" ]] && purge=1
# Stop in reverse order: consumers of a topic before its writer has nothing left to do.
for ((i = ${#SERVICE_NAMES[@]} - 1; i >= 0; i--)); do
  stop_service "${SERVICE_NAMES[$i]}"
done
if ((purge)); then
  rm -rf "${SERVICES_RUN_DIR}"
  "${here}/kafka.sh" stop --purge
else
  "${here}/kafka.sh" stop
fi
log "leadflow is down"

#!/usr/bin/env bash
# The soak of docs/reliability.md: the pipeline chaos test (tests/chaos/pipeline_chaos_test.cc)
# with its fault schedule repeated for MINUTES (default 30) on a broker of its own, then every
# instance's RSS over time summarised. Not part of scripts/test.sh (which runs the schedule once).
#
#   scripts/soak.sh [MINUTES]
#
# The test's directory (service logs, rss.csv) is kept under build/soak/ and named at the end.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "${here}/lib.sh"
cd "${LEADFLOW_ROOT}"

minutes="${1:-30}"
if ! [[ "${minutes}" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/soak.sh [MINUTES]   (a whole number of minutes, at least 1)" >&2
  exit 2
fi
build_dir="${LEADFLOW_BUILD_DIR:-${LEADFLOW_ROOT}/build}"
export LEADFLOW_BUILD_DIR="${build_dir}"
"${here}/install-deps.sh"
"${here}/build.sh"

export TEST_TMPDIR="${build_dir}/soak"
mkdir -p "${TEST_TMPDIR}"
log "soak of ${minutes} min; results at the end, logs under ${TEST_TMPDIR}"
rc=0
LEADFLOW_CHAOS_MINUTES="${minutes}" LEADFLOW_CHAOS_KEEP_DIR=1 \
  "${build_dir}/tests/pipeline_chaos_test" || rc=$?

# RSS per instance: the first sample, the highest, and the last (kB; an instance restarted by a
# fault starts again low).
run_dir="$(find "${TEST_TMPDIR}" -maxdepth 1 -type d -name 'leadflow-test-*' -printf '%T@ %p\n' |
  sort -n | tail -1 | cut -d' ' -f2)"
if [[ -n "${run_dir}" && -f "${run_dir}/rss.csv" ]]; then
  log "RSS (kB) per instance from ${run_dir}/rss.csv: first / max / last sample"
  awk -F, '{ if (!($2 in first)) first[$2] = $3; if ($3 > max[$2]) max[$2] = $3; last[$2] = $3 }
    END { for (i in first) printf "  %-16s %8d / %8d / %8d\n", i, first[i], max[i], last[i] }' \
    "${run_dir}/rss.csv" | sort
fi
log "soak finished (exit ${rc}); directory ${run_dir:-none}"
exit "${rc}"

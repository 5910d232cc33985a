#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, checks formatting and the protos, starts a
# local Kafka broker of its own, runs ctest (unit + integration, later e2e and chaos), stops Kafka.
# Exits non-zero on any failure.
#
#   scripts/test.sh                 everything
#   scripts/test.sh -L unit         only tests with a ctest label matching the regex (no broker)
#   scripts/test.sh -R Store        only tests whose name matches
#   LEADFLOW_SANITIZE=address,undefined LEADFLOW_BUILD_DIR=build-asan scripts/test.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "${here}/lib.sh"
cd "${LEADFLOW_ROOT}"

build_dir="${LEADFLOW_BUILD_DIR:-${LEADFLOW_ROOT}/build}"
export LEADFLOW_BUILD_DIR="${build_dir}"
started=${SECONDS}

"${here}/install-deps.sh"
"${here}/build.sh"
"${here}/check-format.sh"
"${here}/proto-check.sh"
"${here}/check-deploy.sh"
# Hostile input: the libFuzzer targets, 20 s each (LEADFLOW_FUZZ_SECONDS; 0 skips them).
if [[ "${LEADFLOW_FUZZ_SECONDS:-20}" != "0" ]]; then
  "${here}/fuzz.sh" "${LEADFLOW_FUZZ_SECONDS:-20}"
fi

# The broker for this run: its own run dir under the build dir, fresh data, stopped on any exit.
kafka_run_dir="${build_dir}/test-kafka"
export KAFKA_RUN_DIR="${kafka_run_dir}"
# shellcheck disable=SC2317  # reached through the EXIT trap, which shellcheck 0.9 does not follow
stop_kafka() { KAFKA_RUN_DIR="${kafka_run_dir}" "${here}/kafka.sh" stop --purge >/dev/null || true; }
trap stop_kafka EXIT
needs_broker=1
if [[ "$*" == *"-L unit"* || "$*" == *"-L ^unit"* ]]; then needs_broker=0; fi
if ((needs_broker)); then
  "${here}/kafka.sh" stop --purge >/dev/null 2>&1 || true
  LEADFLOW_TEST_KAFKA_BOOTSTRAP="$("${here}/kafka.sh" start)"
  export LEADFLOW_TEST_KAFKA_BOOTSTRAP
  log "test broker at ${LEADFLOW_TEST_KAFKA_BOOTSTRAP}"
fi

export TEST_TMPDIR="${build_dir}/test-tmp"
rm -rf "${TEST_TMPDIR}" && mkdir -p "${TEST_TMPDIR}"
rc=0
ctest --test-dir "${build_dir}" --output-on-failure --no-tests=error \
  -j "${LEADFLOW_TEST_JOBS:-2}" "$@" || rc=$?
log "tests finished in $((SECONDS - started)) s (exit ${rc})"
exit "${rc}"

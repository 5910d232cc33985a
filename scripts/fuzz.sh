#!/usr/bin/env bash
# Hostile-input check: builds the libFuzzer targets of tests/fuzz (clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, in build-fuzz/) and runs each for a bounded time on its seed corpus
# (tests/fuzz/corpus/<target>/ plus what earlier runs found, kept in build-fuzz/fuzz-corpus/).
# A crash, a sanitizer report, a timeout or an out-of-memory fails the run; the input that did it is
# kept as build-fuzz/fuzz-artifacts/<target>/crash-* (reproduce: build-fuzz/fuzz/fuzz_<target> FILE).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]      default 20 (scripts/test.sh); longer runs by hand
#   LEADFLOW_FUZZ_TARGETS="admission http_json" scripts/fuzz.sh 600
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${here}/lib.sh"
cd "${LEADFLOW_ROOT}"

seconds="${1:-20}"
targets="${LEADFLOW_FUZZ_TARGETS:-admission http_json lead_event config_yaml}"
build_dir="${LEADFLOW_FUZZ_BUILD_DIR:-${LEADFLOW_ROOT}/build-fuzz}"
command -v clang++ >/dev/null || die "clang++ not found; run scripts/install-deps.sh"

started=${SECONDS}
if [[ ! -f "${build_dir}/build.ninja" ]]; then
  # -O1 with line tables: the usual fuzzing trade of speed against readable stacks.
  CC=clang CXX=clang++ cmake -S . -B "${build_dir}" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" -DLEADFLOW_FUZZ=ON >/dev/null
fi
log "fuzz: building the targets in ${build_dir}"
ninja -C "${build_dir}" fuzzers >&2

# Sanitizer reports end the run with a stack trace; leaks are not what these targets look for
# (the protobuf arena and static caches look like leaks at exit).
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=()
for target in ${targets}; do
  seeds="${LEADFLOW_ROOT}/tests/fuzz/corpus/${target}"
  corpus="${build_dir}/fuzz-corpus/${target}"
  artifacts="${build_dir}/fuzz-artifacts/${target}"
  [[ -d "${seeds}" ]] || die "no seed corpus ${seeds}"
  mkdir -p "${corpus}" "${artifacts}"
  log_file="${build_dir}/fuzz-${target}.log"
  # New inputs go to ${corpus}; the seeds are only read.
  if "${build_dir}/fuzz/fuzz_${target}" -max_total_time="${seconds}" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="${artifacts}/" "${corpus}" "${seeds}" >"${log_file}" 2>&1; then
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "${log_file}" | grep -o '[0-9]*$' || echo '?')"
    cover="$(grep -o 'cov: [0-9]*' "${log_file}" | tail -n 1 || true)"
    log "fuzz: ${target}: ${runs} inputs in ${seconds}s, ${cover:-cov: ?}, no crash"
  else
    warn "fuzz: ${target} FAILED; the input is in ${artifacts}/, the report in ${log_file}:"
    grep -E 'ERROR|SUMMARY|==[0-9]+==|runtime error' "${log_file}" | head -n 20 >&2 || true
    failed+=("${target}")
  fi
done
((${#failed[@]} == 0)) || die "fuzz: failed: ${failed[*]}"
log "fuzz: ${targets} clean in $((SECONDS - started)) s"

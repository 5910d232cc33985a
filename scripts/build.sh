#!/usr/bin/env bash
# Configures (once) and builds leadflow with CMake + Ninja (+ ccache when present).
#   scripts/build.sh                       RelWithDebInfo into build/
#   LEADFLOW_BUILD_DIR=build-asan LEADFLOW_SANITIZE=address,undefined scripts/build.sh
#   LEADFLOW_BUILD_TYPE=Debug scripts/build.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "${here}/lib.sh"

build_dir="${LEADFLOW_BUILD_DIR:-${LEADFLOW_ROOT}/build}"
build_type="${LEADFLOW_BUILD_TYPE:-RelWithDebInfo}"
sanitize="${LEADFLOW_SANITIZE:-}"

if [[ ! -f "${build_dir}/build.ninja" ]] ||
  ! grep -q "^LEADFLOW_SANITIZE:STRING=${sanitize}$" "${build_dir}/CMakeCache.txt" 2>/dev/null; then
  log "configuring ${build_dir} (${build_type}${sanitize:+, sanitize=${sanitize}})"
  cmake -S "${LEADFLOW_ROOT}" -B "${build_dir}" -G Ninja \
    -DCMAKE_BUILD_TYPE="${build_type}" -DLEADFLOW_SANITIZE="${sanitize}" >/dev/null
fi
log "building in ${build_dir}"
# LEADFLOW_NINJA_FLAGS may hold several flags (e.g. "-j1 -k0"): split on whitespace, no globbing.
read -r -a ninja_flags <<<"${LEADFLOW_NINJA_FLAGS:-}"
cmake --build "${build_dir}" -- "${ninja_flags[@]}"

#!/usr/bin/env bash
# Fails when a C++ file is not clang-formatted (.clang-format at the root). `--fix` rewrites them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "${here}/lib.sh"
cd "${LEADFLOW_ROOT}"

clang_format="$(command -v clang-format || true)"
[[ -n "${clang_format}" ]] || die "clang-format is not installed (scripts/install-deps.sh installs it)"
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cc' '*.h')
((${#files[@]})) || exit 0
if [[ "${1:-}" == "--fix" ]]; then
  "${clang_format}" -i "${files[@]}"
  log "formatted ${#files[@]} files"
  exit 0
fi
if ! "${clang_format}" --dry-run --Werror "${files[@]}" 2>/tmp/leadflow-format.$$; then
  head -40 /tmp/leadflow-format.$$ >&2
  rm -f /tmp/leadflow-format.$$
  die "C++ files are not formatted: run scripts/check-format.sh --fix"
fi
rm -f /tmp/leadflow-format.$$
log "format: ${#files[@]} C++ files clean"

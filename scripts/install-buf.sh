#!/usr/bin/env bash
# Installs the pinned `buf` (proto lint + breaking-change check) into ${LEADFLOW_CACHE}/bin, once.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "${here}/lib.sh"

BUF_VERSION="${BUF_VERSION:-v1.75.0}"
bin_dir="${LEADFLOW_CACHE}/bin"
if [[ -x "${bin_dir}/buf" ]] && "${bin_dir}/buf" --version 2>/dev/null | grep -q "^${BUF_VERSION#v}$"; then
  exit 0
fi
go_bin="$(command -v go || true)"
if [[ -z "${go_bin}" ]]; then
  for cand in /usr/local/go/bin/go /usr/lib/go/bin/go; do [[ -x "$cand" ]] && go_bin="$cand" && break; done
fi
if [[ -z "${go_bin}" ]]; then
  warn "no Go toolchain found: cannot build buf ${BUF_VERSION}; proto lint/breaking checks will fail"
  exit 1
fi
log "building buf ${BUF_VERSION} with $(${go_bin} version)"
mkdir -p "${bin_dir}"
GOBIN="${bin_dir}" GOFLAGS=-mod=mod "${go_bin}" install "github.com/bufbuild/buf/cmd/buf@${BUF_VERSION}"
"${bin_dir}/buf" --version

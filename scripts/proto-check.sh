#!/usr/bin/env bash
# Lints the event contracts (buf lint, rules in buf.yaml) and checks them for wire-breaking changes
# (buf breaking, WIRE_JSON) against a base: LEADFLOW_PROTO_BASE (a git revision) when set, else the
# previous commit (HEAD~1) — or HEAD itself when proto/ has uncommitted changes, so a developer sees
# the effect of the edit in hand. Stored serialized samples (tests/data/events) are checked by
# proto_compat_test in ctest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "${here}/lib.sh"
cd "${LEADFLOW_ROOT}"

buf="${LEADFLOW_CACHE}/bin/buf"
[[ -x "${buf}" ]] || "${here}/install-buf.sh"

"${buf}" lint
log "buf lint: clean"

base="${LEADFLOW_PROTO_BASE:-}"
if [[ -z "${base}" ]]; then
  if [[ -n "$(git status --porcelain -- proto buf.yaml 2>/dev/null)" ]]; then
    base=HEAD
  else
    base=HEAD~1
  fi
fi
if ! git rev-parse --verify --quiet "${base}^{commit}" >/dev/null; then
  log "buf breaking: no base revision ${base} (first commit or shallow clone); nothing to compare"
  exit 0
fi
if ! git cat-file -e "${base}:proto" 2>/dev/null; then
  log "buf breaking: ${base} has no proto/ yet; nothing to compare"
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
git archive "${base}" proto buf.yaml | tar -x -C "${tmp}"
"${buf}" breaking --against "${tmp}"
log "buf breaking: wire-compatible with ${base} ($(git rev-parse --short "${base}"))"

#!/usr/bin/env bash
# Starts leadflow locally: installs what is missing, builds, starts a single-node Kafka, creates the
# topics (config/topics.yaml), applies the default config, starts every service that is built, waits
# until each is ready, loads the demo data set once, and prints the endpoints, the dashboard and the
# funnel. Idempotent: running it again leaves running parts alone (and loads no second demo).
# Stop everything with scripts/down.sh. State lives in .run/ (git-ignored).
#
#   LEADFLOW_KAFKA_BOOTSTRAP_SERVERS=host:9092 scripts/up.sh   use an existing Kafka instead
#   LEADFLOW_SECURE=1 scripts/up.sh   TLS and bearer tokens (a dev CA and one token per role under
#                                     .run/services/pki); plaintext without tokens otherwise
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "${here}/lib.sh"
# shellcheck source=services.sh
source "${here}/services.sh"
cd "${LEADFLOW_ROOT}"

"${here}/install-deps.sh"
"${here}/build.sh"
bin_dir="${LEADFLOW_BUILD_DIR:-${LEADFLOW_ROOT}/build}/bin"

if [[ -n "${LEADFLOW_KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
  bootstrap="${LEADFLOW_KAFKA_BOOTSTRAP_SERVERS}"
  log "using the Kafka at ${bootstrap}"
else
  bootstrap="$("${here}/kafka.sh" start)"
fi
# Fails fast, naming the address, when nothing answers there.
"${bin_dir}/leadflowctl" --bootstrap "${bootstrap}" --timeout 15s check >&2
"${bin_dir}/leadflowctl" --bootstrap "${bootstrap}" topics ensure --file config/topics.yaml >&2
# The business configuration (validated; a version is published only when the content changed).
"${bin_dir}/leadflowctl" --bootstrap "${bootstrap}" config apply config --comment "scripts/up.sh" >&2

mkdir -p "${SERVICES_RUN_DIR}"
pki_dir="${SERVICES_RUN_DIR}/pki"
demo_env=()    # the clients' token, when the services want one
reader_env=()
if [[ "${LEADFLOW_SECURE:-0}" == "1" ]]; then
  enable_dev_security "${pki_dir}"
  demo_env=(LEADFLOW_TOKEN_FILE="${pki_dir}/demo.token")
  reader_env=(LEADFLOW_TOKEN_FILE="${pki_dir}/reader.token")
  log "TLS and bearer tokens on (CA ${pki_dir}/ca.pem, tokens ${pki_dir}/*.token)"
fi
started=()
missing=()
for i in "${!SERVICE_NAMES[@]}"; do
  name="${SERVICE_NAMES[$i]}"
  if [[ ! -x "${bin_dir}/leadflow-${name}" ]]; then
    missing+=("${name}")
    continue
  fi
  start_service "${bin_dir}" "${name}" "${SERVICE_GRPC_PORTS[$i]}" "${SERVICE_HTTP_PORTS[$i]}" \
    "${bootstrap}"
  started+=("${i}")
done

# The demo data set (tools/demo): 500 leads through every way in, a sales desk answering their
# handoffs. Loaded once per Kafka (a marker under the run dir); LEADFLOW_DEMO=0 skips it.
demo_marker="${SERVICES_RUN_DIR}/demo-loaded"  # removed by down.sh --purge
if [[ "${LEADFLOW_DEMO:-1}" != "0" && ! -f "${demo_marker}" && -x "${bin_dir}/leadflow-demo" ]]; then
  log "loading the demo data set (leadflow-demo run --seed 1 --leads 500; log: ${SERVICES_RUN_DIR}/demo.log)"
  if env "${demo_env[@]}" \
    "${bin_dir}/leadflow-demo" --seed 1 --leads 500 run --bootstrap "${bootstrap}" \
    --work-dir "${SERVICES_RUN_DIR}/demo" >"${SERVICES_RUN_DIR}/demo.log" 2>&1; then
    date -u +%FT%TZ >"${demo_marker}"
    tail -n 1 "${SERVICES_RUN_DIR}/demo.log" >&2
  else
    warn "the demo data set did not load completely (see ${SERVICES_RUN_DIR}/demo.log)"
  fi
fi

echo
echo "leadflow is up"
echo "  kafka        ${bootstrap}   (logs: ${KAFKA_RUN_DIR:-${LEADFLOW_RUN}/kafka}/logs)"
for i in "${started[@]}"; do
  printf '  %-12s grpc 127.0.0.1:%s   http %s://127.0.0.1:%s  (/healthz /readyz /metrics)\n' \
    "${SERVICE_NAMES[$i]}" "${SERVICE_GRPC_PORTS[$i]}" "${SERVICE_HTTP_SCHEME}" \
    "${SERVICE_HTTP_PORTS[$i]}"
done
if [[ -x "${bin_dir}/leadflow-reporting" ]]; then
  echo "  dashboard    ${SERVICE_HTTP_SCHEME}://127.0.0.1:8085/dashboard/"
fi
if ((${#reader_env[@]})); then
  echo "  security     TLS + bearer tokens; for leadflowctl and the dashboard:"
  echo "                 export LEADFLOW_CA_FILE=${pki_dir}/ca.pem"
  echo "                 export LEADFLOW_TOKEN_FILE=${pki_dir}/ops-admin.token   (or <role>.token)"
else
  echo "  security     none: plaintext, no tokens (local use; LEADFLOW_SECURE=1 for TLS + tokens)"
fi
if ((${#missing[@]})); then
  echo "  not built yet: ${missing[*]} (each arrives with its issue; see docs/architecture.md)"
fi
echo "  topics       ${bin_dir}/leadflowctl --bootstrap ${bootstrap} topics list"
if [[ -x "${bin_dir}/leadflow-reporting" ]]; then
  echo
  echo "funnel so far (build/bin/leadflowctl funnel; quality, winloss):"
  if ! env "${reader_env[@]}" "${bin_dir}/leadflowctl" funnel; then
    warn "the funnel could not be read from reporting (see ${SERVICES_RUN_DIR}/reporting.log)"
  fi
fi
echo "stop with: scripts/down.sh"

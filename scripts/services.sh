# shellcheck shell=bash
# The five leadflow services as the local scripts run them (sourced, not run): names, default
# ports (DESIGN.md), and starting/stopping one service process with a pid file under .run/services.
# SC2034: these three are read by up.sh and down.sh, which source this file.
# shellcheck disable=SC2034
SERVICE_NAMES=(intake qualification handoff recycle reporting)
# shellcheck disable=SC2034
SERVICE_GRPC_PORTS=(50051 50052 50053 50054 50055)
# shellcheck disable=SC2034
SERVICE_HTTP_PORTS=(8081 8082 8083 8084 8085)
SERVICES_RUN_DIR="${LEADFLOW_RUN}/services"
SERVICE_READY_TIMEOUT="${SERVICE_READY_TIMEOUT:-120}"
SERVICE_STOP_TIMEOUT="${SERVICE_STOP_TIMEOUT:-30}"
# How every service is secured (up.sh sets these): plaintext without authentication for local use
# (the services warn about it), or TLS and tokens from enable_dev_security.
SERVICE_SECURITY_FLAGS=(--tls.plaintext=true)
SERVICE_HTTP_SCHEME=http
SERVICE_CURL_TLS=()

# enable_dev_security DIR: a throwaway CA and certificates (dev-pki.sh) and one bearer token per
# role plus a "demo" token with the roles the demo needs, in DIR: <role>.token holds the secret,
# tokens.yaml only its SHA-256. Points the services, curl and the clients (LEADFLOW_CA_FILE) at them.
enable_dev_security() {
  local dir="$1" role token
  "${LEADFLOW_ROOT}/scripts/dev-pki.sh" "${dir}" >/dev/null
  if [[ ! -f "${dir}/tokens.yaml" ]]; then
    (
      umask 077
      echo "# Local bearer tokens (scripts/up.sh, LEADFLOW_SECURE=1); the secrets are the *.token files."
      echo "tokens:"
      for role in marketing-writer sales-tool ops-admin reader demo; do
        token="$(openssl rand -hex 24)"
        printf '%s\n' "${token}" >"${dir}/${role}.token"
        local roles="[${role}]"
        [[ "${role}" == demo ]] && roles="[marketing-writer, sales-tool, reader]"
        printf '  - name: %s\n    sha256: %s\n    roles: %s\n' "${role}" \
          "$(printf '%s' "${token}" | sha256sum | cut -d' ' -f1)" "${roles}"
      done
    ) >"${dir}/tokens.yaml"
  fi
  SERVICE_SECURITY_FLAGS=(--tls.cert_file="${dir}/server.pem" --tls.key_file="${dir}/server-key.pem"
    --auth.tokens_file="${dir}/tokens.yaml")
  SERVICE_HTTP_SCHEME=https
  SERVICE_CURL_TLS=(--cacert "${dir}/ca.pem")
  export LEADFLOW_CA_FILE="${dir}/ca.pem"
}

service_pid() {
  local pid_file="${SERVICES_RUN_DIR}/$1.pid" pid
  [[ -f "${pid_file}" ]] || return 1
  pid="$(cat "${pid_file}")"
  [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null && printf '%s\n' "${pid}"
}

http_ready() {
  curl -fsS "${SERVICE_CURL_TLS[@]}" -o /dev/null --max-time 2 \
    "${SERVICE_HTTP_SCHEME}://127.0.0.1:$1/readyz"
}

# start_service BIN_DIR NAME GRPC_PORT HTTP_PORT BOOTSTRAP: starts it unless running, waits for /readyz.
start_service() {
  local bin_dir="$1" name="$2" grpc_port="$3" http_port="$4" bootstrap="$5"
  local log_file="${SERVICES_RUN_DIR}/${name}.log" pid
  if pid="$(service_pid "${name}")"; then
    log "${name} already running (pid ${pid})"
    return 0
  fi
  mkdir -p "${SERVICES_RUN_DIR}/${name}-data"
  setsid "${bin_dir}/leadflow-${name}" \
    --grpc.port="${grpc_port}" --http.port="${http_port}" \
    --data.dir="${SERVICES_RUN_DIR}/${name}-data" \
    --kafka.bootstrap.servers="${bootstrap}" "${SERVICE_SECURITY_FLAGS[@]}" \
    >"${log_file}" 2>&1 </dev/null &
  pid=$!
  echo "${pid}" >"${SERVICES_RUN_DIR}/${name}.pid"
  if ! wait_for "${name} ready" "${SERVICE_READY_TIMEOUT}" http_ready "${http_port}"; then
    warn "${name} did not become ready on :${http_port} within ${SERVICE_READY_TIMEOUT}s; last log lines:"
    tail -n 30 "${log_file}" >&2 || true
    stop_service "${name}"
    die "${name} failed to start"
  fi
  log "${name} ready (pid ${pid})"
}

# stop_service NAME: SIGTERM (graceful: commit, close, leave the group), then SIGKILL after a timeout.
stop_service() {
  local name="$1" pid
  if pid="$(service_pid "${name}")"; then
    kill -TERM "${pid}" 2>/dev/null || true
    if ! wait_for "${name} exit" "${SERVICE_STOP_TIMEOUT}" bash -c "! kill -0 ${pid} 2>/dev/null"; then
      warn "${name} (pid ${pid}) ignored SIGTERM for ${SERVICE_STOP_TIMEOUT}s; killing it"
      kill -KILL "${pid}" 2>/dev/null || true
    fi
    log "${name} stopped"
  fi
  rm -f "${SERVICES_RUN_DIR}/${name}.pid"
}

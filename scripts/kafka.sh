#!/usr/bin/env bash
# A real, local, single-node Apache Kafka (KRaft, combined broker+controller) for development and tests.
#
#   scripts/kafka.sh fetch            download the broker jars through Maven into the cache (once)
#   scripts/kafka.sh start            fetch if needed, format, start, wait until it answers; prints the
#                                     bootstrap address (the only line on stdout)
#   scripts/kafka.sh stop [--purge]   stop it (and with --purge delete its data and logs)
#   scripts/kafka.sh status           "running <bootstrap>" / "not running"; exit 0/1
#   scripts/kafka.sh bootstrap        print the bootstrap address of the running broker, or fail
#   scripts/kafka.sh topics ARGS...   kafka-topics against the running broker
#   scripts/kafka.sh run-class CLASS ARGS...  any Kafka tool class with the broker's classpath
#                                     (e.g. org.apache.kafka.tools.ProducerPerformance)
#
# Environment:
#   KAFKA_VERSION        broker version (default below); jars live in ${LEADFLOW_CACHE}/kafka/<version>
#   KAFKA_RUN_DIR        where one broker keeps config, data, logs, pid, bootstrap (default ${LEADFLOW_RUN}/kafka);
#                        use different run dirs for brokers that must run side by side
#   KAFKA_HEAP_OPTS      JVM heap flags (default -Xms256m -Xmx1g)
#   KAFKA_OPTS           extra JVM flags for the broker
#   KAFKA_EXTRA_PROPS    extra key=value lines appended to server.properties (later lines win)
#   KAFKA_START_TIMEOUT  seconds to wait for the broker to answer metadata (default 120)
#   KAFKA_STOP_TIMEOUT   seconds to wait after SIGTERM before SIGKILL (default 60)
#   KAFKA_PORT, KAFKA_CONTROLLER_PORT  pin the listener ports (default: fresh free ports each start)
#   KAFKA_KEEP_LOGS      broker lives whose server.log is kept in <run dir>/logs/previous/ when the
#                        broker is started again (default 10; `stop --purge` deletes them)
#   KAFKA_SECURITY       plaintext (default) or sasl_ssl: the client listener on TLS (a dev CA from
#                        scripts/dev-pki.sh in <run dir>/pki) with SASL SCRAM-SHA-512 and PLAIN; user
#                        `leadflow` with a random password made once per run dir. The librdkafka
#                        properties a client needs are written to <run dir>/client.properties
#                        (KEY=VALUE lines; PLAIN, see write_security), the Java tools' (SCRAM) to
#                        <run dir>/client-java.properties.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${here}/lib.sh"

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_RUN_DIR="${KAFKA_RUN_DIR:-${LEADFLOW_RUN}/kafka}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-60}"

KAFKA_POM="${here}/kafka/pom.xml"
KAFKA_CACHE_ROOT="${LEADFLOW_CACHE}/kafka"
KAFKA_HOME="${KAFKA_CACHE_ROOT}/${KAFKA_VERSION}"
KAFKA_LIBS="${KAFKA_HOME}/libs"
KAFKA_MARKER="${KAFKA_HOME}/.fetched"

# Layout of a run dir. The broker reads only these (and the jars in the cache).
RUN_CONFIG_DIR="${KAFKA_RUN_DIR}/config"
RUN_PROPS="${RUN_CONFIG_DIR}/server.properties"
RUN_LOG4J="${RUN_CONFIG_DIR}/log4j2.properties"
RUN_DATA_DIR="${KAFKA_RUN_DIR}/data"
RUN_LOG_DIR="${KAFKA_RUN_DIR}/logs"
RUN_PID_FILE="${KAFKA_RUN_DIR}/pid"
RUN_BOOTSTRAP_FILE="${KAFKA_RUN_DIR}/bootstrap"
RUN_LOCK_FILE="${KAFKA_RUN_DIR}/lock"
KAFKA_SECURITY="${KAFKA_SECURITY:-plaintext}"
RUN_PKI_DIR="${KAFKA_RUN_DIR}/pki"
RUN_CLIENT_PROPS="${KAFKA_RUN_DIR}/client.properties"
RUN_CLIENT_JAVA_PROPS="${KAFKA_RUN_DIR}/client-java.properties"
# SASL users: the broker's own (inter-broker) and the one clients use.
SASL_ADMIN_USER="admin"
SASL_CLIENT_USER="leadflow"
case "${KAFKA_SECURITY}" in
  plaintext | sasl_ssl) ;;
  *) die "KAFKA_SECURITY=${KAFKA_SECURITY}: expected plaintext or sasl_ssl" ;;
esac

# How many times start picks new ports when the broker loses the race for a port picked by free_port
# (another process bound it between the pick and the broker's bind).
BIND_ATTEMPTS=3

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
    printf '%s\n' "${JAVA_HOME}/bin/java"
  else
    printf '%s\n' java
  fi
}

# ---------------------------------------------------------------------------------------------- fetch

# The marker records the version and the pom it was fetched with, so editing the pom (say, a different
# logging binding) refetches, while an unchanged setup is a file read and a checksum: no mvn, no JVM.
expected_marker() {
  printf 'version=%s\npom-sha256=%s\n' "${KAFKA_VERSION}" "$(sha256sum "${KAFKA_POM}" | cut -d' ' -f1)"
}

is_fetched() {
  [[ -f "${KAFKA_MARKER}" && -d "${KAFKA_LIBS}" ]] && [[ "$(cat "${KAFKA_MARKER}")" == "$(expected_marker)" ]]
}

cmd_fetch() {
  if is_fetched; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found; run scripts/install-deps.sh"
  mkdir -p "${KAFKA_CACHE_ROOT}"
  # Serialise concurrent fetches (two test runs starting at once); the loser finds the marker.
  exec 8>"${KAFKA_CACHE_ROOT}/.fetch.lock"
  flock 8
  if is_fetched; then
    exec 8>&-
    return 0
  fi
  # Leftovers of fetches killed hard (SIGKILL skips the trap); safe to delete while we hold the lock.
  rm -rf "${KAFKA_CACHE_ROOT}"/.fetch-* "${KAFKA_CACHE_ROOT}"/.old-*

  log "fetching Apache Kafka ${KAFKA_VERSION} through Maven into ${KAFKA_HOME}"
  local tmp
  tmp="$(mktemp -d "${KAFKA_CACHE_ROOT}/.fetch-${KAFKA_VERSION}.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: tmp is local and gone by the time the trap runs
  trap "rm -rf '${tmp}'" EXIT
  # Everything goes into tmp first and is renamed into place only when complete, so an interrupted
  # fetch never leaves a half-filled libs/ that looks usable. The local Maven repo under the cache
  # keeps the fetch self-contained (no ~/.m2) and makes a refetch mostly offline.
  # Maven's output is kept for the failure case only (even -q -B prints stray colour escapes).
  if ! mvn -q -B -Dstyle.color=never -f "${KAFKA_POM}" \
    -Dmaven.repo.local="${LEADFLOW_CACHE}/m2" \
    -Dkafka.version="${KAFKA_VERSION}" \
    dependency:copy-dependencies -DoutputDirectory="${tmp}/libs" >"${tmp}/mvn.log" 2>&1; then
    cat "${tmp}/mvn.log" >&2
    die "Maven could not fetch Apache Kafka ${KAFKA_VERSION} (is Maven Central reachable?)"
  fi
  rm -f "${tmp}/mvn.log"
  local jar
  for jar in "kafka_2.13-${KAFKA_VERSION}.jar" "kafka-tools-${KAFKA_VERSION}.jar" "kafka-clients-${KAFKA_VERSION}.jar"; do
    [[ -f "${tmp}/libs/${jar}" ]] || die "fetch incomplete: ${jar} missing from ${tmp}/libs"
  done
  compgen -G "${tmp}/libs/log4j-slf4j-impl-*.jar" >/dev/null || die "fetch incomplete: no SLF4J binding for log4j2"
  expected_marker >"${tmp}/.fetched"

  # A stale copy (other pom) is moved aside rather than deleted in place, so the swap is two renames.
  local old=""
  if [[ -e "${KAFKA_HOME}" ]]; then
    old="${KAFKA_CACHE_ROOT}/.old-${KAFKA_VERSION}.$$"
    mv -T "${KAFKA_HOME}" "${old}"
  fi
  mv -T "${tmp}" "${KAFKA_HOME}"
  trap - EXIT
  [[ -z "${old}" ]] || rm -rf "${old}"
  exec 8>&-
  log "fetched Apache Kafka ${KAFKA_VERSION}: $(find "${KAFKA_LIBS}" -name '*.jar' | wc -l) jars, $(du -sh "${KAFKA_HOME}" | cut -f1)"
}

# -------------------------------------------------------------------------------- process bookkeeping

# pid_alive PID: true while PID runs. A zombie counts as dead: it no longer serves anything, and
# `kill -0` alone would call it alive until its parent reaps it.
pid_alive() {
  local pid="$1" stat
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  stat="$(cat "/proc/${pid}/stat" 2>/dev/null)" || return 1
  # Field 3 (after the parenthesised command name, which may contain spaces) is the state.
  stat="${stat##*) }"
  [[ "${stat:0:1}" != "Z" ]]
}

# is_our_broker PID: PID is alive and is the broker of this run dir (guards against a recycled pid).
is_our_broker() {
  local pid="$1"
  pid_alive "${pid}" || return 1
  tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null | grep -qF -- "kafka.Kafka ${RUN_PROPS}"
}

recorded_pid() {
  [[ -f "${RUN_PID_FILE}" ]] && cat "${RUN_PID_FILE}"
}

# running_pid: prints the pid of this run dir's broker if it runs.
running_pid() {
  local pid
  pid="$(recorded_pid)" || return 1
  is_our_broker "${pid}" || return 1
  printf '%s\n' "${pid}"
}

port_open() {
  local hostport="$1"
  (exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}") 2>/dev/null
}

# answers BOOTSTRAP [METADATA_TIMEOUT]: the broker serves metadata and lists itself. The port check
# first, because kcat against a closed port retries until its whole timeout expires.
answers() {
  local bootstrap="$1" timeout="${2:-5}" security=()
  port_open "${bootstrap}" || return 1
  if [[ -f "${RUN_CLIENT_PROPS}" ]]; then
    local line
    while IFS= read -r line; do security+=(-X "${line}"); done <"${RUN_CLIENT_PROPS}"
  fi
  kcat -b "${bootstrap}" "${security[@]}" -L -m "${timeout}" 2>/dev/null | grep -q "broker 1 at ${bootstrap}"
}

# sasl_password USER: the user's password, made once per run dir (SCRAM credentials are written
# into the metadata log at format time, so they must survive restarts).
sasl_password() {
  local file="${KAFKA_RUN_DIR}/sasl-$1.password"
  if [[ ! -s "${file}" ]]; then
    (umask 077 && openssl rand -hex 16 >"${file}")
  fi
  cat "${file}"
}

# write_security: the PKI and the client properties of the sasl_ssl mode (none for plaintext).
write_security() {
  rm -f "${RUN_CLIENT_PROPS}" "${RUN_CLIENT_JAVA_PROPS}"
  [[ "${KAFKA_SECURITY}" == sasl_ssl ]] || return 0
  "${here}/dev-pki.sh" "${RUN_PKI_DIR}" >/dev/null
  # A PEM keystore is the private key (PKCS#8) followed by the certificate chain.
  cat "${RUN_PKI_DIR}/server-key.pem" "${RUN_PKI_DIR}/server.pem" >"${RUN_PKI_DIR}/broker-keystore.pem"
  chmod 0600 "${RUN_PKI_DIR}/broker-keystore.pem"
  local password
  password="$(sasl_password "${SASL_CLIENT_USER}")"
  (
    umask 077
    # librdkafka clients use PLAIN (over TLS): Debian's librdkafka 2.0.2 cannot do SCRAM against a
    # Kafka 4.x broker (librdkafka bug #4895, fixed in 2.6.1; the broker rejects its proof). The
    # Java tools use SCRAM-SHA-512, so the broker's SCRAM setup is exercised too.
    cat >"${RUN_CLIENT_PROPS}" <<EOF
security.protocol=SASL_SSL
sasl.mechanisms=PLAIN
sasl.username=${SASL_CLIENT_USER}
sasl.password=${password}
ssl.ca.location=${RUN_PKI_DIR}/ca.pem
EOF
    cat >"${RUN_CLIENT_JAVA_PROPS}" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${SASL_CLIENT_USER}" password="${password}";
ssl.truststore.type=PEM
ssl.truststore.location=${RUN_PKI_DIR}/ca.pem
EOF
  )
}

# ready_or_dead PID BOOTSTRAP: the condition start polls for; it ends the wait early when the broker dies.
ready_or_dead() {
  ! pid_alive "$1" || answers "$2"
}

# log_tail: what to show when the broker failed: the broker's own log and, if the JVM said anything
# before logging was set up (bad JVM flag, wrong Java), its stdout/stderr.
log_tail() {
  local f
  for f in "${RUN_LOG_DIR}/server.log" "${RUN_LOG_DIR}/server.out"; do
    if [[ -s "${f}" ]]; then
      printf -- '----- last 40 lines of %s -----\n' "${f}" >&2
      tail -n 40 "${f}" >&2
    fi
  done
  printf -- '-----\n' >&2
}

# keep_previous_logs: moves server.log* and server.out of the broker's last life to
# logs/previous/<n>-<file> (n counts lives up), keeping the newest KAFKA_KEEP_LOGS lives (default 10).
keep_previous_logs() {
  local prev="${RUN_LOG_DIR}/previous" f n=1 last
  [[ -e "${RUN_LOG_DIR}/server.log" || -e "${RUN_LOG_DIR}/server.out" ]] || return 0
  mkdir -p "${prev}"
  last="$(find "${prev}" -maxdepth 1 -name '*-server.*' -printf '%f\n' | sed 's/-.*//' | sort -n | tail -n 1)"
  if [[ -n "${last}" ]]; then n=$((last + 1)); fi
  for f in "${RUN_LOG_DIR}"/server.log* "${RUN_LOG_DIR}/server.out"; do
    # An if, not `[[ ]] && mv`: a false test as the loop's last command would fail the function
    # under set -e when server.out is missing.
    if [[ -e "${f}" ]]; then mv -f "${f}" "${prev}/${n}-$(basename "${f}")"; fi
  done
  local keep="${KAFKA_KEEP_LOGS:-10}" old
  for old in $(find "${prev}" -maxdepth 1 -name '*-server.*' -printf '%f\n' | sed 's/-.*//' | sort -n | uniq | head -n "-${keep}"); do
    rm -f "${prev}/${old}"-server.*
  done
}

# kill_group PID: SIGTERM the broker's process group (it is a session leader, see launch), wait up to
# KAFKA_STOP_TIMEOUT for a clean shutdown, then SIGKILL.
kill_group() {
  local pid="$1"
  kill -TERM -- "-${pid}" 2>/dev/null || kill -TERM "${pid}" 2>/dev/null || true
  if ! wait_for "broker ${pid} to exit" "${KAFKA_STOP_TIMEOUT}" pid_gone "${pid}"; then
    warn "broker ${pid} still running ${KAFKA_STOP_TIMEOUT}s after SIGTERM; sending SIGKILL"
    kill -KILL -- "-${pid}" 2>/dev/null || kill -KILL "${pid}" 2>/dev/null || true
    wait_for "broker ${pid} to die" 10 pid_gone "${pid}" || die "broker ${pid} survived SIGKILL"
  fi
}

pid_gone() { ! pid_alive "$1"; }

# stray_pids: brokers of this run dir that the pid file does not know about (pid file lost, or a
# start killed between launch and writing it). Matched on the run dir's own config path, so brokers
# of other run dirs are never touched.
stray_pids() {
  pgrep -f -- "kafka.Kafka ${RUN_PROPS}" || true
}

lock_run_dir() {
  mkdir -p "${KAFKA_RUN_DIR}"
  # start/stop of one run dir must not interleave (two test suites calling start at once). The broker
  # is launched with fd 9 closed so it does not hold the lock for its lifetime.
  exec 9>"${RUN_LOCK_FILE}"
  flock 9
}

# ---------------------------------------------------------------------------------------------- start

check_java() {
  local java version major
  java="$(java_bin)"
  command -v "${java}" >/dev/null || die "java not found; Kafka ${KAFKA_VERSION} needs Java 17+ (scripts/install-deps.sh)"
  version="$("${java}" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
  major="${version%%.*}"
  [[ "${major}" == 1 ]] && major="$(cut -d. -f2 <<<"${version}")"
  if ! [[ "${major}" =~ ^[0-9]+$ ]] || ((major < 17)); then
    die "Kafka ${KAFKA_VERSION} needs Java 17+, ${java} is ${version:-unknown}"
  fi
}

# A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (what `kafka-storage
# random-uuid` prints), minus ids starting with '-' that command lines would take for an option.
# Done in Python to save a JVM start.
new_cluster_id() {
  python3 -c '
import base64, uuid
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not s.startswith("-"):
        print(s)
        break'
}

# write_config BROKER_PORT CONTROLLER_PORT
write_config() {
  local bport="$1" cport="$2"
  mkdir -p "${RUN_CONFIG_DIR}"
  cp "${here}/kafka/log4j2.properties" "${RUN_LOG4J}"
  local client_listener=PLAINTEXT
  [[ "${KAFKA_SECURITY}" == sasl_ssl ]] && client_listener=SASL_SSL
  cat >"${RUN_PROPS}.tmp" <<EOF
# Generated by scripts/kafka.sh start; rewritten at every start (ports are picked fresh each time).
# Single node, combined KRaft broker+controller, tuned for tests on a small machine.

process.roles=broker,controller
node.id=1
# A static quorum (controller.quorum.voters) rather than a dynamic one (--standalone +
# controller.quorum.bootstrap.servers): a dynamic quorum records the controller's endpoint in the
# metadata log at format time, while this script picks fresh ports at every start and keeps the data.
controller.quorum.voters=1@127.0.0.1:${cport}
listeners=${client_listener}://127.0.0.1:${bport},CONTROLLER://127.0.0.1:${cport}
advertised.listeners=${client_listener}://127.0.0.1:${bport}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=${client_listener}

log.dirs=${RUN_DATA_DIR}

# One replica is all there is.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Few internal partitions: each one is loaded at startup and on first use, which is what makes a
# broker slow to become usable on 2 cores (the defaults are 50).
offsets.topic.num.partitions=4
transaction.state.log.num.partitions=4
share.coordinator.state.topic.num.partitions=4

# Topics are created explicitly (a typo must fail, not create a topic); tests delete theirs.
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=4

# Consumers in tests join at once; the classic protocol's default 3 s wait per first join only slows them.
group.initial.rebalance.delay.ms=0

# Small segments and indexes: tests write little, and many small topics should not reserve GBs.
log.segment.bytes=16777216
log.index.size.max.bytes=1048576
# The log cleaner (compacted topics) allocates its dedupe buffer up front; the 128 MiB default is a
# big bite of a 1 GiB heap.
log.cleaner.dedupe.buffer.size=33554432
num.recovery.threads.per.data.dir=1
EOF
  if [[ "${KAFKA_SECURITY}" == sasl_ssl ]]; then
    local admin_password client_password
    admin_password="$(sasl_password "${SASL_ADMIN_USER}")"
    client_password="$(sasl_password "${SASL_CLIENT_USER}")"
    cat >>"${RUN_PROPS}.tmp" <<EOF

# KAFKA_SECURITY=sasl_ssl: TLS (PEM files from scripts/dev-pki.sh) and SASL on the client listener.
# SCRAM users are created at format time (--add-scram); PLAIN users are listed here.
sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${SASL_ADMIN_USER}" password="${admin_password}";
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${SASL_ADMIN_USER}" password="${admin_password}" user_${SASL_ADMIN_USER}="${admin_password}" user_${SASL_CLIENT_USER}="${client_password}";
ssl.keystore.type=PEM
ssl.keystore.location=${RUN_PKI_DIR}/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=${RUN_PKI_DIR}/ca.pem
EOF
  fi
  if [[ -n "${KAFKA_EXTRA_PROPS:-}" ]]; then
    printf '\n# KAFKA_EXTRA_PROPS (these win over the lines above)\n%s\n' "${KAFKA_EXTRA_PROPS}" >>"${RUN_PROPS}.tmp"
  fi
  mv -f "${RUN_PROPS}.tmp" "${RUN_PROPS}"
}

# run_tool CLASS ARGS...: a Kafka command-line tool with the broker's jars and quiet logging.
# TOOL_JVM_OPTS defaults to flags that make a short-lived admin tool start fast (C1 only, serial GC);
# run-class clears them because perf tools must run with the normal JIT.
TOOL_JVM_OPTS=(-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1)
run_tool() {
  local class="$1"; shift
  "$(java_bin)" "${TOOL_JVM_OPTS[@]}" \
    -Dlog4j2.configurationFile="${here}/kafka/tools-log4j2.properties" \
    -cp "${KAFKA_LIBS}/*" "${class}" "$@"
}

# format_storage: formats the data dir once; later starts reuse it (topics and offsets survive a
# restart; `stop --purge` starts over). meta.properties is what the broker checks, so a data dir
# without it is an interrupted format and is redone from scratch.
format_storage() {
  if [[ -f "${RUN_DATA_DIR}/meta.properties" ]]; then
    return 0
  fi
  rm -rf "${RUN_DATA_DIR}"
  local cluster_id
  cluster_id="$(new_cluster_id)"
  log "formatting ${RUN_DATA_DIR} (cluster id ${cluster_id})"
  local scram=()
  if [[ "${KAFKA_SECURITY}" == sasl_ssl ]]; then
    scram=(--add-scram "SCRAM-SHA-512=[name=\"${SASL_ADMIN_USER}\",password=\"$(sasl_password "${SASL_ADMIN_USER}")\"]"
      --add-scram "SCRAM-SHA-512=[name=\"${SASL_CLIENT_USER}\",password=\"$(sasl_password "${SASL_CLIENT_USER}")\"]")
  fi
  if ! run_tool kafka.tools.StorageTool format --config "${RUN_PROPS}" --cluster-id "${cluster_id}" "${scram[@]}" \
    >"${RUN_LOG_DIR}/format.log" 2>&1; then
    cat "${RUN_LOG_DIR}/format.log" >&2
    die "kafka-storage format failed for ${RUN_PROPS}"
  fi
}

# launch: starts the broker detached and records its pid. The double fork (the subshell exits right
# away) hands the JVM to init, so nothing of it is tied to this script; setsid makes it the leader of
# its own session and process group, so stop can signal the whole group and a Ctrl-C in the terminal
# that ran start does not reach it.
launch() {
  local -a heap jvm
  # shellcheck disable=SC2206 # the env vars are flag lists, split on purpose
  heap=(${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g})
  # shellcheck disable=SC2206
  jvm=(-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true
    "-Xlog:gc*:file=${RUN_LOG_DIR}/gc.log:time,tags:filecount=3,filesize=10M"
    -Dkafka.logs.dir="${RUN_LOG_DIR}" -Dlog4j2.configurationFile="${RUN_LOG4J}"
    ${KAFKA_OPTS:-})
  local java
  java="$(java_bin)"
  (
    cd "${KAFKA_RUN_DIR}"
    setsid "${java}" "${heap[@]}" "${jvm[@]}" -cp "${KAFKA_LIBS}/*" kafka.Kafka "${RUN_PROPS}" \
      </dev/null >"${RUN_LOG_DIR}/server.out" 2>&1 9>&- &
    printf '%s\n' "$!" >"${RUN_PID_FILE}"
  )
}

# start_once: one attempt on fresh ports. Sets START_RESULT to "up" when the broker answers, or to
# "port-taken" when it died because a port was taken meanwhile (worth another attempt); dies on any
# other failure. (A status variable rather than a return code: `start_once || ...` would switch off
# set -e inside it.)
START_RESULT=""
start_once() {
  START_RESULT=""
  local bport cport
  # Pinned ports (KAFKA_PORT, KAFKA_CONTROLLER_PORT) let a restarted broker keep its address, which
  # clients hold on to (the broker-restart chaos test); otherwise fresh free ports every start.
  bport="${KAFKA_PORT:-$(free_port)}"
  cport="${KAFKA_CONTROLLER_PORT:-$(free_port)}"
  while [[ "${cport}" == "${bport}" ]]; do cport="$(free_port)"; done
  local bootstrap="127.0.0.1:${bport}"

  write_security
  write_config "${bport}" "${cport}"
  format_storage
  # Fresh logs per attempt, so the tail on failure is about this attempt; the previous life's logs
  # are kept (a restarted broker's coordinator history is what a stall after a restart needs).
  keep_previous_logs
  launch
  printf '%s\n' "${bootstrap}" >"${RUN_BOOTSTRAP_FILE}"
  local pid
  pid="$(recorded_pid)"
  log "started broker pid ${pid} on ${bootstrap} (controller 127.0.0.1:${cport}); waiting up to ${KAFKA_START_TIMEOUT}s for it to answer"

  if wait_for "broker on ${bootstrap}" "${KAFKA_START_TIMEOUT}" ready_or_dead "${pid}" "${bootstrap}" &&
    pid_alive "${pid}"; then
    START_RESULT=up
    return 0
  fi

  if pid_alive "${pid}"; then
    warn "the broker did not answer metadata on ${bootstrap} within ${KAFKA_START_TIMEOUT}s"
    log_tail
    kill_group "${pid}"
  else
    if grep -qs 'BindException\|Address already in use' "${RUN_LOG_DIR}/server.log" "${RUN_LOG_DIR}/server.out"; then
      warn "port ${bport} or ${cport} was taken before the broker bound it"
      rm -f "${RUN_PID_FILE}" "${RUN_BOOTSTRAP_FILE}"
      START_RESULT=port-taken
      return 0
    fi
    warn "the broker (pid ${pid}, meant to serve ${bootstrap}) exited during startup"
    log_tail
  fi
  rm -f "${RUN_PID_FILE}" "${RUN_BOOTSTRAP_FILE}"
  die "Kafka did not start on ${bootstrap}; config ${RUN_PROPS}, logs in ${RUN_LOG_DIR}"
}

cmd_start() {
  command -v kcat >/dev/null || die "kcat not found (used to check the broker answers); run scripts/install-deps.sh"
  cmd_fetch
  lock_run_dir

  local pid bootstrap
  if pid="$(running_pid)"; then
    bootstrap="$(cat "${RUN_BOOTSTRAP_FILE}" 2>/dev/null)" || die "broker ${pid} runs but ${RUN_BOOTSTRAP_FILE} is missing; run: $0 stop"
    if ! answers "${bootstrap}"; then
      # Alive but not answering: still starting (another start was killed mid-way) or wedged.
      log "broker ${pid} on ${bootstrap} is running but not answering yet; waiting up to ${KAFKA_START_TIMEOUT}s"
      if ! wait_for "broker on ${bootstrap}" "${KAFKA_START_TIMEOUT}" ready_or_dead "${pid}" "${bootstrap}" ||
        ! pid_alive "${pid}"; then
        log_tail
        die "broker ${pid} of ${KAFKA_RUN_DIR} does not answer on ${bootstrap}; run: $0 stop"
      fi
    fi
    log "already running: pid ${pid}"
    printf '%s\n' "${bootstrap}"
    return 0
  fi
  # A broker of this run dir without a (valid) pid file would hold the data dir lock; clean up first.
  local stray
  for stray in $(stray_pids); do
    warn "stopping broker ${stray} of ${KAFKA_RUN_DIR} that has no pid file"
    kill_group "${stray}"
  done
  rm -f "${RUN_PID_FILE}" "${RUN_BOOTSTRAP_FILE}"

  check_java
  mkdir -p "${RUN_LOG_DIR}"
  local started=${SECONDS} attempt
  for ((attempt = 1; attempt <= BIND_ATTEMPTS; attempt++)); do
    start_once
    if [[ "${START_RESULT}" == up ]]; then
      log "Kafka ${KAFKA_VERSION} is up on $(cat "${RUN_BOOTSTRAP_FILE}") after $((SECONDS - started))s (logs: ${RUN_LOG_DIR})"
      cat "${RUN_BOOTSTRAP_FILE}"
      return 0
    fi
  done
  log_tail
  die "Kafka did not start: lost the race for a free port ${BIND_ATTEMPTS} times"
}

# ----------------------------------------------------------------------------------------------- stop

cmd_stop() {
  local purge=false
  case "${1:-}" in
    "") ;;
    --purge) purge=true ;;
    *) die "usage: $0 stop [--purge]" ;;
  esac
  [[ -d "${KAFKA_RUN_DIR}" ]] || return 0
  lock_run_dir

  local pid
  if pid="$(running_pid)"; then
    log "stopping broker ${pid} ($(cat "${RUN_BOOTSTRAP_FILE}" 2>/dev/null || echo '?'))"
    kill_group "${pid}"
  fi
  for pid in $(stray_pids); do
    warn "stopping broker ${pid} of ${KAFKA_RUN_DIR} that has no pid file"
    kill_group "${pid}"
  done
  rm -f "${RUN_PID_FILE}" "${RUN_BOOTSTRAP_FILE}"
  if ${purge}; then
    log "purging ${KAFKA_RUN_DIR}"
    # Everything but the lock we hold (another stop/start waiting on it must find a valid file).
    find "${KAFKA_RUN_DIR}" -mindepth 1 -maxdepth 1 ! -name lock -exec rm -rf {} +
  fi
}

# ---------------------------------------------------------------------------------- status and tools

cmd_status() {
  local pid bootstrap
  if pid="$(running_pid)" && bootstrap="$(cat "${RUN_BOOTSTRAP_FILE}" 2>/dev/null)"; then
    if answers "${bootstrap}" 2; then
      printf 'running %s (pid %s)\n' "${bootstrap}" "${pid}"
      return 0
    fi
    printf 'not answering %s (pid %s)\n' "${bootstrap}" "${pid}"
    return 1
  fi
  printf 'not running\n'
  return 1
}

cmd_bootstrap() {
  running_pid >/dev/null || die "no Kafka running from ${KAFKA_RUN_DIR}; run: $0 start"
  cat "${RUN_BOOTSTRAP_FILE}" 2>/dev/null || die "${RUN_BOOTSTRAP_FILE} missing"
}

cmd_topics() {
  local bootstrap
  bootstrap="$(cmd_bootstrap)"
  is_fetched || die "Kafka ${KAFKA_VERSION} not fetched; run: $0 fetch"
  local config=()
  [[ -f "${RUN_CLIENT_JAVA_PROPS}" ]] && config=(--command-config "${RUN_CLIENT_JAVA_PROPS}")
  run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "${bootstrap}" "${config[@]}" "$@"
}

cmd_run_class() {
  (($# >= 1)) || die "usage: $0 run-class CLASS [ARGS...]"
  cmd_fetch
  TOOL_JVM_OPTS=(-Xmx1g)
  run_tool "$@"
}

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
  exit 2
}

main() {
  (($# >= 1)) || usage
  local cmd="$1"; shift
  case "${cmd}" in
    fetch) cmd_fetch ;;
    start) cmd_start ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status ;;
    bootstrap) cmd_bootstrap ;;
    topics) cmd_topics "$@" ;;
    run-class) cmd_run_class "$@" ;;
    -h | --help | help) usage ;;
    *) warn "unknown command: ${cmd}"; usage ;;
  esac
}

main "$@"

#!/usr/bin/env bash
# A throwaway certificate authority for local runs and tests: a CA, a server certificate for the
# services (and the local broker), and a client certificate for mutual TLS. Never for production:
# the keys are unencrypted files and the CA is created on the spot.
#
#   scripts/dev-pki.sh DIR [NAME...]
#
# Writes into DIR (created; existing files are kept, so a second run is a no-op):
#   ca.pem ca-key.pem          the CA (EC P-256, 30 days)
#   server.pem server-key.pem  CN=localhost; SANs localhost, 127.0.0.1, ::1 and every NAME given
#                              (DNS names, or IP addresses)
#   client.pem client-key.pem  CN=leadflow-client, for clientAuth
# Prints DIR on stdout.
set -euo pipefail

dir="${1:?usage: dev-pki.sh DIR [NAME...]}"
shift
command -v openssl >/dev/null || { echo "dev-pki.sh: openssl is not installed" >&2; exit 1; }
mkdir -p "${dir}"
cd "${dir}"
umask 077

sans="DNS:localhost,IP:127.0.0.1,IP:::1"
for name in "$@"; do
  if [[ "${name}" =~ ^[0-9.]+$ || "${name}" == *:* ]]; then
    sans+=",IP:${name}"
  else
    sans+=",DNS:${name}"
  fi
done

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [[ ! -f ca.pem ]]; then
  key ca-key.pem
  openssl req -x509 -new -key ca-key.pem -out ca.pem -days 30 -subj "/CN=leadflow dev CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
fi

# issue NAME CN EXTENSIONS: a key and a certificate signed by the CA.
issue() {
  local name="$1" cn="$2" ext="$3"
  [[ -f "${name}.pem" ]] && return 0
  key "${name}-key.pem"
  openssl req -new -key "${name}-key.pem" -subj "/CN=${cn}" -out "${name}.csr" 2>/dev/null
  printf '%b' "${ext}" > "${name}.ext"
  openssl x509 -req -in "${name}.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
    -days 30 -extfile "${name}.ext" -out "${name}.pem" 2>/dev/null
  rm -f "${name}.csr" "${name}.ext"
}

issue server localhost "subjectAltName=${sans}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature"
issue client leadflow-client "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature"
chmod 0644 ./*.pem
chmod 0600 ./*-key.pem
pwd

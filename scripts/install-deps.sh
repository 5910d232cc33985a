#!/usr/bin/env bash
# Installs, non-interactively and only when missing, everything leadflow needs to build, test and run:
# Debian packages (toolchain, gRPC/protobuf, librdkafka, RocksDB, test and support libraries, a JDK and
# Maven for the local Kafka broker) and the `buf` protobuf linter (a Go module).
# Safe to run repeatedly: a second run with everything present touches nothing and takes ~1 s.
#   LEADFLOW_DEPS=build scripts/install-deps.sh   only what building the binaries needs (the image
#                                                 build, deploy/Dockerfile): no broker, browser, buf
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "${here}/lib.sh"

BUILD_PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # event contracts and RPC
  protobuf-compiler libprotobuf-dev protobuf-compiler-grpc libgrpc++-dev
  # Kafka client, state, absl
  librdkafka-dev librocksdb-dev libabsl-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # support libraries
  libspdlog-dev libfmt-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev
  # lead normalisation (intake): hashing, country names, IDN domains, phone numbers; time zones
  # (handoff SLA business hours)
  libssl-dev libicu-dev libidn2-dev libpsl-dev libphonenumber-dev tzdata
  # API security: JWT bearer tokens (OpenSSL flavour); openssl makes the local and test PKI
  libjwt-dev openssl
)
DEB_PACKAGES=(
  "${BUILD_PACKAGES[@]}"
  # formatting check; the libFuzzer build (scripts/fuzz.sh: clang with its sanitizer runtimes)
  clang-format clang libclang-rt-14-dev
  # operating the local broker: a JDK, Maven to fetch the broker jars, kcat for poking at topics
  default-jdk-headless maven kcat
  # scripts (shellcheck: scripts/check-deploy.sh lints them)
  curl procps iproute2 netcat-openbsd python3 shellcheck
  # the reporting dashboard's test (headless)
  chromium
)

wanted=("${DEB_PACKAGES[@]}")
if [[ "${LEADFLOW_DEPS:-all}" == build ]]; then wanted=("${BUILD_PACKAGES[@]}"); fi
missing=()
for p in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  log "Debian packages: all present"
fi

# buf (lint and wire-breaking checks of proto/). Built from the Go module proxy into a cache outside
# the source tree. Needs a Go toolchain of 1.23+; Debian 12's golang is too old for buf, so a newer Go
# on PATH is used when present and the proto lint is skipped with a loud warning otherwise.
if [[ "${LEADFLOW_DEPS:-all}" != build ]]; then "${here}/install-buf.sh"; fi

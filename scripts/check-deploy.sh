#!/usr/bin/env bash
# Checks the deploy artifacts offline (the test command runs it after the proto check): builds
# tools/k8s-check and runs its unit tests, renders k8s/overlays/dev and prod with kustomize and checks
# every object (strict Kubernetes API schema, leadflow's deploy rules, the KafkaTopics against
# config/topics.yaml), checks deploy/Dockerfile (buildkit's lint rules and leadflow's image rules),
# checks that every library the binaries load comes from a Debian package (the image's runtime
# stage installs exactly those), and runs shellcheck over every shell script. Runs every check, then exits non-zero if any failed.
# The renders are left in <build dir>/k8s-rendered/<overlay>.yaml for a look.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "${here}/lib.sh"

build_dir="${LEADFLOW_BUILD_DIR:-${LEADFLOW_ROOT}/build}"
[[ "${build_dir}" == /* ]] || build_dir="${PWD}/${build_dir}"
cd "${LEADFLOW_ROOT}"

overlays=(k8s/overlays/dev k8s/overlays/prod)
dockerfiles=(deploy/Dockerfile)
topics=config/topics.yaml

missing=()
for o in "${overlays[@]}"; do [[ -f "${o}/kustomization.yaml" ]] || missing+=("${o}/kustomization.yaml"); done
for f in "${dockerfiles[@]}" "${topics}"; do [[ -f "${f}" ]] || missing+=("${f}"); done
if ((${#missing[@]})); then
  die "deploy check: missing ${missing[*]} (the overlays, Dockerfile and topics file it checks)"
fi
command -v shellcheck >/dev/null || die "deploy check: shellcheck is not installed (scripts/install-deps.sh installs it)"

# The Go toolchain, found like install-buf.sh does. GOTOOLCHAIN=local: never fetch another one; an
# older Go fails loudly on tools/k8s-check/go.mod's go line.
go_bin="$(command -v go || true)"
if [[ -z "${go_bin}" ]]; then
  for cand in /usr/local/go/bin/go /usr/lib/go/bin/go; do [[ -x "$cand" ]] && go_bin="$cand" && break; done
fi
[[ -n "${go_bin}" ]] || die "deploy check: no Go toolchain (PATH, /usr/local/go/bin/go, /usr/lib/go/bin/go): cannot build tools/k8s-check"
export GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false"

checker="${build_dir}/tools/k8s-check/k8s-check"
rendered="${build_dir}/k8s-rendered"
started=${SECONDS}
log "deploy check: building tools/k8s-check with $("${go_bin}" version)"
(cd tools/k8s-check && "${go_bin}" build -o "${checker}" .)

failed=()
(cd tools/k8s-check && "${go_bin}" test ./...) || failed+=("k8s-check unit tests")

rm -rf "${rendered}"
"${checker}" manifests --topics "${topics}" --out "${rendered}" "${overlays[@]}" || failed+=("manifests")
"${checker}" dockerfile "${dockerfiles[@]}" || failed+=("Dockerfile")

# The image installs what deploy/runtime-packages.sh finds for the binaries: every library they
# load must come from a Debian package (a library built or copied by hand would be missing there).
binaries=("${build_dir}"/bin/leadflow-{intake,qualification,handoff,recycle,reporting,demo} "${build_dir}/bin/leadflowctl")
if packages="$(deploy/runtime-packages.sh "${binaries[@]}")"; then
  log "runtime packages of the image: $(wc -l <<<"${packages}") ($(tr '\n' ' ' <<<"${packages}"))"
else
  failed+=("runtime packages")
fi

# Every shell script outside the build, run and cache directories.
mapfile -t scripts < <(find . \( -path ./.git -o -path './build*' -o -path ./.run -o -path ./.cache \) -prune \
  -o -type f -name '*.sh' -print | sort)
if shellcheck -x --source-path=SCRIPTDIR "${scripts[@]}"; then
  log "shellcheck: ${#scripts[@]} scripts clean"
else
  failed+=("shellcheck")
fi

if ((${#failed[@]})); then
  die "deploy check failed: ${failed[*]} (renders in ${rendered})"
fi
log "deploy check: clean in $((SECONDS - started)) s (renders in ${rendered})"

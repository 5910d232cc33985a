#!/usr/bin/env bash
# Prints the Debian packages that provide the shared libraries the given binaries load, one per
# line, sorted. The image build runs it in its build stage (where the -dev packages pulled the
# runtime libraries in) and installs exactly these in the runtime stage, so the runtime image
# follows the link line without a hand-kept list. Fails, naming the library, when a library
# belongs to no package.
#   deploy/runtime-packages.sh build/bin/leadflow-intake build/bin/leadflowctl ...
set -euo pipefail

if (($# == 0)); then
  echo "usage: $0 BINARY..." >&2
  exit 2
fi

mapfile -t libs < <(ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u)

# ldd may find a library through /lib (a symlink to /usr/lib on merged-/usr systems) while dpkg
# registered it under the other spelling, or under the file its symlink points to: ask dpkg about
# every spelling at once (one scan of its database) and take whichever it knows.
candidates() { printf '%s\n' "$1" "$(readlink -f "$1")" "/usr$1" "${1#/usr}"; }
mapfile -t all < <(for lib in "${libs[@]}"; do candidates "${lib}"; done | sort -u)
declare -A package_of=()
while IFS= read -r line; do
  package_of["${line#*: }"]="${line%%: *}"
done < <(dpkg-query -S "${all[@]}" 2>/dev/null || true)

status=0
packages=()
for lib in "${libs[@]}"; do
  found=""
  while IFS= read -r c; do
    if [[ -n "${package_of[${c}]:-}" ]]; then
      found="${package_of[${c}]}"
      break
    fi
  done < <(candidates "${lib}")
  if [[ -z "${found}" ]]; then
    echo "no Debian package provides ${lib}" >&2
    status=1
    continue
  fi
  # "libfoo1:amd64" -> "libfoo1" (the runtime stage has the same architecture).
  packages+=("${found%%:*}")
done
if ((${#packages[@]})); then printf '%s\n' "${packages[@]}" | sort -u; fi
exit "${status}"

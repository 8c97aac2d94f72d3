#!/usr/bin/env bash
# The tools the tests run, found or set up: the first step of `deno task test`.
#
# Every tool present: prints nothing. Some missing: as root with apt-get
# (a fresh Debian or Ubuntu machine, a CI container), installs their Debian
# packages (one quiet `apt-get update`, then `apt-get install`); otherwise
# stops with one line naming the command to run. DREG_SKIP_TEST_DEPS=1 skips
# the check (the tests that need a missing tool then fail).
set -uo pipefail

[[ ${DREG_SKIP_TEST_DEPS:-} == 1 ]] && exit 0

# What the tests run, and the Debian package that has it: a command on PATH,
# or (starting with /) a file.
deps=(
  "docker-registry docker-registry" # the real registry (test_support/real_registry.ts)
  "skopeo skopeo"                   # the peer client: fixtures, archives, sync
  "umoci umoci"                     # unpacks the images the build tests make
  "htpasswd apache2-utils"          # bcrypt lines for the registry's basic auth
  "openssl openssl"                 # the token server's key and certificate
  "script bsdutils"                 # a pseudo-terminal for dreg's progress bar
  "tar tar"                         # reads docker archives in the archive tests
  "go golang-go"                    # builds the ORAS Go peer (test_support/oras_peer)
  "/usr/share/gocode/src/oras.land/oras-go/go.mod golang-oras-oras-go-dev"
)

missing=()
for dep in "${deps[@]}"; do
  read -r what package <<<"$dep"
  if [[ $what == /* ]]; then
    [[ -e $what ]] && continue
  else
    command -v "$what" >/dev/null 2>&1 && continue
  fi
  [[ " ${missing[*]} " == *" $package "* ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "test deps: installing ${missing[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >/dev/null &&
    apt-get install -y -qq "${missing[@]}" >/dev/null; then
    exit 0
  fi
  echo "test deps: apt-get install -y ${missing[*]} failed" >&2
  exit 1
fi

if command -v apt-get >/dev/null 2>&1; then
  echo "The tests need ${missing[*]}: run sudo apt-get install -y ${missing[*]}" >&2
else
  echo "The tests need the Debian packages ${missing[*]} (or the same tools from your package manager)" >&2
fi
exit 1

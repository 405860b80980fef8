# Sourced by the tools/ scripts: the repository root, a PATH that finds Go, messages.
# shellcheck shell=bash

GRI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GRI_BUILD=${GRI_BUILD:-$GRI_ROOT/build}

# sudo's secure_path drops /usr/local/go/bin, where the machine's own Go lives.
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  PATH=$PATH:/usr/local/go/bin
fi
export PATH

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

is_root() { [[ $(id -u) -eq 0 ]]; }

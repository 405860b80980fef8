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

# Effective CAP_BPF (39) and CAP_PERFMON (38), or CAP_SYS_ADMIN (21): what loading BPF
# programs and opening perf events take without root.
has_bpf_caps() {
  local hex v
  hex=$(awk '/^CapEff:/ {print $2}' "/proc/$$/status" 2>/dev/null) || return 1
  [[ -n $hex ]] || return 1
  v=$((16#$hex))
  (((v >> 39 & 1) && (v >> 38 & 1))) || ((v >> 21 & 1))
}

# The README's commands trace, so they want root. Run by another user they re-run themselves
# through sudo when it exists, saying so in one line; otherwise this returns 1 and the caller
# says what is needed. Call it as: need_root "$@".
need_root() {
  is_root && return 0
  has_bpf_caps && return 0
  if command -v sudo >/dev/null 2>&1; then
    echo "$(basename "$0"): not root: re-running through sudo" >&2
    # sudo resets PATH (secure_path), which may lose the user's go.
    exec sudo -- env "PATH=$PATH" "GRI_BUILD=$GRI_BUILD" "$GRI_ROOT/tools/$(basename "$0")" "$@"
  fi
  return 1
}

NEED_ROOT_MSG="needs root, or the capabilities CAP_BPF and CAP_PERFMON (there is no sudo here)"

# The mirror this machine uses for Debian (its first http(s) URI of a .../debian archive in
# apt's sources), else deb.debian.org.
debian_mirror() {
  local m
  m=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
    grep -oE 'https?://[^ ]+' | head -n1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

# The apt source and pin tools/setup writes for Go 1.21-1.25 (Debian's newer suites).
GO_SOURCES_FILE=/etc/apt/sources.list.d/gri-go-toolchains.sources
GO_PIN_FILE=/etc/apt/preferences.d/gri-go-toolchains

# Sourced by the scripts/install-*.sh scripts: installs Debian packages non-interactively,
# as root or with passwordless sudo.
#
#   debian_install NAME PACKAGE...   (NAME prefixes the error messages)
#
# Returns non-zero with a reason on standard error when apt-get is missing or the user may
# not install; apt-get's own output goes to standard error too.
debian_install() {
  local name=$1
  shift
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$name: apt-get is not available; install $* by hand" >&2
    return 1
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      echo "$name: run 'apt-get install $*' as root (this needs root or passwordless sudo)" >&2
      return 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q >&2
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@" >&2
}

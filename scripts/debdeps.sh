#!/usr/bin/env bash
# Install the Debian packages named as arguments that are not installed yet.
#
#   scripts/debdeps.sh libopenblas-dev openmpi-bin ...
#
# Runs `apt-get update` only when something is missing, and only once per
# call. Needs root (or sudo). Exits non-zero, naming the package, when a
# package cannot be installed: callers (make test, make data, …) must not
# go on to test something that is absent.
set -euo pipefail
missing=()
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "debdeps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
	SUDO=sudo
fi
echo "debdeps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
	{ echo "debdeps: could not install ${missing[*]} (see apt-get's message above)" >&2; exit 1; }

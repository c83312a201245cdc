#!/usr/bin/env bash
# Install Debian packages if this machine has apt-get: as root directly, else with sudo.
# Usage: scripts/apt-install.sh PACKAGE...   (exit 1 with the command to run if it cannot)
set -euo pipefail
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: please install $* with your system's package manager" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "setup: need root to run apt-get; run: sudo apt-get install -y $*" >&2
        exit 1
    fi
fi
echo "setup: apt-get install $*"
$sudo apt-get install -y -qq "$@" >/dev/null \
    || { $sudo apt-get update -qq && $sudo apt-get install -y -qq "$@" >/dev/null; }

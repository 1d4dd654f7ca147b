#!/usr/bin/env bash
# Provisions what the Linux cells need from the system: `systemd-socket-activate`
# (Debian's systemd package), which starts the socket-activation scenarios.
# Idempotent: nothing happens when it is already installed.
set -euo pipefail
command -v systemd-socket-activate >/dev/null && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "ipckit: systemd-socket-activate is missing; install Debian's systemd package (apt-get install systemd) as root" >&2
  exit 2
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
command -v systemd-socket-activate >/dev/null

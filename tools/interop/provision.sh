#!/usr/bin/env bash
# Installs the programs the RPC interop tests call (Linux cells): curl, and
# Debian's python3 with python3-protobuf and python3-grpcio. Idempotent: does
# nothing when they are present. Usage: tools/interop/provision.sh
set -euo pipefail
exec 9>/tmp/ipckit-interop-provision.lock
flock 9

missing=()
command -v curl >/dev/null || missing+=(curl)
[ -x /usr/bin/python3 ] || missing+=(python3)
/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null || missing+=(python3-protobuf)
/usr/bin/python3 -c 'import grpc' 2>/dev/null || missing+=(python3-grpcio)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "ipckit: the RPC interop tests need ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root" >&2
  exit 2
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

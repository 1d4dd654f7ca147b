#!/usr/bin/env bash
# Provisions the Windows cells: a Debian trixie chroot with Wine 10 and the
# official Windows builds of Bun and Deno (same versions as the Linux ones).
# Idempotent: every step is skipped when its result is already present.
# Usage: tools/wine/provision.sh <cache-dir> <bun-version> <deno-version>
set -euo pipefail
cache=${1:?cache dir}; bun_version=${2:?bun version}; deno_version=${3:?deno version}
root="$cache/root"
mkdir -p "$cache"
exec 9>"$cache/.provision.lock"
flock 9

if [ "$(id -u)" != 0 ]; then
  echo "ipckit: the Windows cells need root (debootstrap, chroot, mount namespaces); run as root or on real Windows" >&2
  exit 2
fi

# The host's Debian mirror, read from its apt sources (never hard-coded).
mirror=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
if [ -z "$mirror" ]; then
  mirror=$(grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -n1 || true)
fi
[ -n "$mirror" ] || { echo "ipckit: cannot find the host's Debian mirror in /etc/apt" >&2; exit 2; }

if [ ! -x "$root/usr/lib/wine/wine64" ]; then
  if ! command -v debootstrap >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  if [ ! -x "$root/usr/bin/apt-get" ]; then
    rm -rf "$root"
    debootstrap --variant=minbase trixie "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 \
      || { tail -n 30 "$cache/debootstrap.log" >&2; exit 1; }
  fi
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  chroot "$root" apt-get update -qq
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine64 >"$cache/wine-install.log" 2>&1 \
    || { tail -n 30 "$cache/wine-install.log" >&2; exit 1; }
  mkdir -p "$root/src" "$root/opt"
fi

# Windows builds from npm, unpacked without npm's platform check.
fetch_pkg() { # name version dest-file path-in-tarball
  local name=$1 version=$2 dest=$3 inner=$4
  [ -f "$dest" ] && [ "$(cat "$dest.version" 2>/dev/null)" = "$version" ] && return 0
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null 2>&1)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  cp "$tmp/package/$inner" "$dest"
  echo "$version" >"$dest.version"
  rm -rf "$tmp"
}
mkdir -p "$cache/bin"
fetch_pkg @oven/bun-windows-x64 "$bun_version" "$cache/bin/bun.exe" bin/bun.exe
fetch_pkg @deno/win32-x64 "$deno_version" "$cache/bin/deno.exe" deno.exe
echo ok >"$cache/.provisioned"

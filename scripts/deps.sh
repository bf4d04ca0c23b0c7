#!/usr/bin/env bash
# Installs every build and test dependency from Debian's packages.
# Idempotent and quick when everything is there (one dpkg-query, no apt).
set -euo pipefail

packages=(
  gcc make pkg-config autoconf automake libtool autoconf-archive
  libglib2.0-dev libthrift-c-glib-dev thrift-compiler liblz4-dev libcsv-dev libjson-glib-dev
  sqlite3 iproute2 procps
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps.sh: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "deps.sh: done" >&2

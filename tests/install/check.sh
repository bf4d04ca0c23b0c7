#!/usr/bin/env bash
# Installs a build into a temporary root and builds a driver against it as a
# user would: `cc driver.c $(pkg-config --cflags --libs weft)`, then runs it.
# Usage: tests/install/check.sh BUILD_DIR. Prints "ok" or what failed.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
make -s -C "$build" install DESTDIR="$root" prefix=/opt/weft >"$root/install.log" 2>&1 ||
  { echo "make install failed:"; tail -20 "$root/install.log"; exit 1; }
# The .pc names /opt/weft; point it at the temporary root instead.
mkdir "$root/pc"
sed "s|^prefix=.*|prefix=$root/opt/weft|" "$root/opt/weft/lib/pkgconfig/weft.pc" >"$root/pc/weft.pc"
flags=$(PKG_CONFIG_PATH="$root/pc" pkg-config --cflags --libs weft)
# shellcheck disable=SC2086
cc -std=gnu11 -Wall -Wextra -Werror "$src/driver.c" -o "$root/driver" $flags
printf 'a,b\n1,x\n2,y\n3,z\n' >"$root/in.csv"
out=$(LD_LIBRARY_PATH="$root/opt/weft/lib" "$root/driver" --master 'local[2]' "$root/in.csv")
if [ "$out" != "3 rows on 2 slots" ]; then
  echo "driver printed \"$out\", expected \"3 rows on 2 slots\""
  exit 1
fi
echo ok

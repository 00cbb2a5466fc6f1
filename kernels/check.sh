#!/bin/sh
# CI's check of the kernels, without a GPU: the committed PTX is what gen.sh
# makes from the sources, and ptxas assembles it for Volta, Ampere and Hopper.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
./gen.sh "$tmp"
status=0
for f in "$tmp"/*.ptx; do
  if ! cmp -s "$f" "$(basename "$f")"; then
    echo "kernels/$(basename "$f") differs from what gen.sh makes of the sources: run go generate ./kernels and commit it"
    status=1
  fi
done
for f in *.ptx; do
  [ -e "$tmp/$f" ] || { echo "kernels/$f has no source: remove it"; status=1; }
  for arch in sm_70 sm_80 sm_90; do
    ptxas -arch="$arch" -o /dev/null "$f" || { echo "ptxas -arch=$arch fails on kernels/$f"; status=1; }
  done
done
exit $status

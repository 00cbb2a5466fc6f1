#!/bin/sh
# CI's check of the kernels, without a GPU: the committed fatbins and
# resources.h are what gen.sh makes of the sources. nvcc 11.8 makes the same
# bytes from the same sources; where the bytes differ, the fatbins still
# pass if cuobjdump lists the same SASS and PTX.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
./gen.sh "$tmp"
status=0
for f in "$tmp"/*.fatbin "$tmp"/resources.h; do
  name=$(basename "$f")
  if [ ! -e "$name" ]; then
    echo "kernels/$name is missing: run go generate ./kernels and commit it"
    status=1
  elif ! cmp -s "$f" "$name"; then
    case $name in
    *.fatbin)
      cuobjdump -sass -ptx "$f" | grep -v '^Fatbin\|^[a-z]* = \|^$' > "$tmp/new.txt"
      cuobjdump -sass -ptx "$name" | grep -v '^Fatbin\|^[a-z]* = \|^$' > "$tmp/old.txt"
      if cmp -s "$tmp/new.txt" "$tmp/old.txt"; then
        echo "kernels/$name: other bytes, the same SASS and PTX"
        continue
      fi
      ;;
    esac
    echo "kernels/$name differs from what gen.sh makes of the sources: run go generate ./kernels and commit it"
    status=1
  fi
done
for f in *.fatbin *.ptx; do
  [ -e "$f" ] || continue
  [ -e "$tmp/$f" ] || { echo "kernels/$f is not made by gen.sh: remove it"; status=1; }
done
exit $status

#!/bin/sh
# Compiles each kernel family to PTX for the virtual architecture compute_70,
# which the driver JIT-compiles for every GPU from Volta to Hopper, once per
# precision: NAME.cu -> NAME_f32.ptx and NAME_f64.ptx in OUT (default: here).
# Run by `go generate ./kernels`; CI runs it into a temporary folder and
# compares.
set -eu
cd "$(dirname "$0")"
out=${1:-.}
for src in *.cu; do
  name=${src%.cu}
  nvcc -ptx -arch=compute_70 -O3 -DREAL=float -DSUFFIX=_f32 -o "$out/${name}_f32.ptx" "$src"
  nvcc -ptx -arch=compute_70 -O3 -DREAL=double -DSUFFIX=_f64 -o "$out/${name}_f64.ptx" "$src"
done

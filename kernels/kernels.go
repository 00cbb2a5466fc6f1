// Package kernels holds the CUDA kernels of the GPU backend: CUDA C sources,
// one file per op family (dense.cu, output.cu, epoch.cu, sgd.cu), and the PTX that
// nvcc makes of them for the virtual architecture compute_70, committed and
// embedded so that a cuda build needs no nvcc.
//
// Each source is compiled twice, to NAME_f32.ptx and NAME_f64.ptx, whose
// kernels carry the suffix _f32 or _f64. Regenerate after editing a source:
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

//go:generate ./gen.sh

//go:embed *.ptx
var ptx embed.FS

// Families lists the op families, one PTX module per family and precision.
var Families = []string{"dense", "epoch", "output", "sgd"}

// PTX returns the PTX module of a family for a precision suffix ("f32" or "f64").
func PTX(family, precision string) (string, error) {
	b, err := ptx.ReadFile(family + "_" + precision + ".ptx")
	if err != nil {
		return "", fmt.Errorf("kernels: no PTX for %s in %s: %w", family, precision, err)
	}
	return string(b), nil
}

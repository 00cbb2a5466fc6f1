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

//go:build cuda

package cushim

// #cgo CFLAGS: -I/usr/local/cuda/include
// #cgo LDFLAGS: -ldl
// #include "cushim.h"
import "C"

import "fmt"

//go:generate go run ../gencushim -o trampolines.c

// Init returns nil when the driver library is loaded and its cuInit
// succeeded. Otherwise it returns an error saying why the driver cannot be
// used: "the NVIDIA driver is not installed (dlerror's message)" or
// "cuInit: CUDA_ERROR_NO_DEVICE (the driver's description)".
func Init() error {
	var why *C.char
	r := C.cushim_status(&why)
	if msg := C.GoString(why); msg != "" {
		return fmt.Errorf("the NVIDIA driver is not installed (%s)", msg)
	}
	if r != C.CUDA_SUCCESS {
		return fmt.Errorf("cuInit: %s", describe(r))
	}
	return nil
}

// describe names a CUresult and gives the driver's description of it.
func describe(r C.CUresult) string {
	var name, desc *C.char
	if C.cuGetErrorName(r, &name) != C.CUDA_SUCCESS || C.cuGetErrorString(r, &desc) != C.CUDA_SUCCESS {
		return fmt.Sprintf("CUresult %d", int(r))
	}
	return fmt.Sprintf("%s (%s)", C.GoString(name), C.GoString(desc))
}

//go:build cuda

package gpu

// emulated: these tests run on a GPU.
const emulated = false

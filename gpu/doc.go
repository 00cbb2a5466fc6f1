// Package gpu is the CUDA backend. Until it lands (see the CUDA backend
// issue), every build gets the stub in this package, whose New reports that
// the binary was built without CUDA support and how to rebuild it.
package gpu

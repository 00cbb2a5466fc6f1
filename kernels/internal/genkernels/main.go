// Command genkernels writes the host side of the kernels' interface from
// their CUDA sources, so that it is kept in one place: the KERNEL(name)(...)
// signatures of kernels/*.cu and the structs shared with Go of kernels/*.cu
// and *.cuh. go generate ./kernels runs it in kernels/:
//
//	go run ./internal/genkernels
//
// It writes
//
//   - ../gpu/kernels_gen.go: the kernels' identifiers and names, one typed
//     launcher per kernel (a method of kernelSet taking the kernel's
//     arguments in order, as Go types: device pointers, ints, reals), and a
//     Go struct, with its size, for each struct shared with Go;
//   - ../gpu/kernels_gen_test.go: the shared structs, for the test that
//     compares their Go and C layouts;
//   - emu_kernels.h: the emulator's registration of each kernel and of the
//     layout of each shared struct;
//   - kernels_gen_test.go: the list of kernels the package's tests check
//     the fatbins and the emulator against.
//
// A struct is shared with Go when its source asserts its size,
// static_assert(sizeof(name) == bytes, ...); its fields must be pointers,
// long long or double. A kernel's arguments may be pointers, int, long long,
// double and real.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", ".", "the kernels folder")
	flag.Parse()
	files, err := generate(*dir)
	if err == nil {
		for name, src := range files {
			if err = os.WriteFile(filepath.Join(*dir, name), src, 0o644); err != nil {
				break
			}
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "genkernels: %v\n", err)
		os.Exit(1)
	}
}

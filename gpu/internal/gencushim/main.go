// Command gencushim writes trampolines.c of package cushim: one trampoline
// for each CUDA driver function that the cuda build calls, into the driver
// library that cushim loads at run time.
//
// It reads the cgo of gorgonia.org/cu and of this module's gpu packages (the
// calls C.cu… of their Go files and the cu… calls of their C sources and
// preambles), asks the C preprocessor which symbol each name becomes under
// cuda.h's macros (cuMemAlloc is cuMemAlloc_v2) and takes each symbol's
// prototype from the preprocessed cuda.h. go generate runs it in
// gpu/internal/cushim:
//
//	go run ../gencushim -o trampolines.c
//
// It needs the C compiler of go env CC and cuda.h (CUDA 11.8, as the build).
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("o", "trampolines.c", "the file to write")
	flag.Parse()
	src, err := generate()
	if err == nil {
		err = os.WriteFile(*out, src, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gencushim: %v\n", err)
		os.Exit(1)
	}
}

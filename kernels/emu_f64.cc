//go:build cudaemu

// The double kernels for the emulator.
#define REAL double
#define SUFFIX _f64
#include "emu_kernels.h"

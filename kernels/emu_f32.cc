//go:build cudaemu

// The float kernels for the emulator.
#define REAL float
#define SUFFIX _f32
#include "emu_kernels.h"

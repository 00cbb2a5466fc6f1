//go:build cudaemu

// The kernel sources of one precision, compiled as C++ for the emulator and
// registered under their CUDA names (dense_forward_f32, ...). emu_f32.cc and
// emu_f64.cc include this with REAL and SUFFIX defined, as gen.sh compiles
// the PTX.
#include "emu.h"

#include "dense.cu"
#include "epoch.cu"
#include "output.cu"
#include "sgd.cu"

#define STR2(x) #x
#define STR(x) STR2(x)
#define REGISTER(name) static bool CAT(registered_, name) = emu::add(STR(CAT(name, SUFFIX)), &CAT(name, SUFFIX));

REGISTER(softmax_rows)
REGISTER(dense_delta)
REGISTER(dense_forward_batch)
REGISTER(dense_backward_data_batch)
REGISTER(dense_update_batch)
REGISTER(bias_update_batch)
REGISTER(output_grad)
REGISTER(gather_rows)
REGISTER(epoch_totals)
REGISTER(sgd_steps)

// The shim's own declarations, shared by loader.c and the generated
// trampolines.c. cuda.h comes first and outside the visibility pragma, which
// would hide the C library's symbols too.

#include <cuda.h>

#pragma GCC visibility push(hidden)

// The driver functions that have a trampoline: cushim_count names, and the
// addresses loader.c found for them in the library (NULL: none), published
// with release stores.
extern const int cushim_count;
extern const char *const cushim_names[];
extern void *cushim_fns[];

// cushim_load loads the library on first use and returns the address of the
// function numbered i, or NULL where the library or the function is missing.
void *cushim_load(int i);

// CUSHIM_TRAMPOLINE defines the driver function name, numbered i, with its
// parameter list and the names of its arguments: a jump to the library's
// function once it is loaded; name##_first loads the library and makes the
// call the first time, or returns CUDA_ERROR_NOT_INITIALIZED where the
// library or the function is missing. The fast path is a load, a test and
// an indirect jump, like a PLT stub.
#define CUSHIM_TRAMPOLINE(i, name, params, args)                                                 \
	static CUresult __attribute__((noinline, cold)) name##_first params {                    \
		CUresult (*cushim_f) params = cushim_load(i);                                    \
		return cushim_f != NULL ? cushim_f args : CUDA_ERROR_NOT_INITIALIZED;            \
	}                                                                                        \
	CUresult name params {                                                                   \
		CUresult (*cushim_f) params = __atomic_load_n(&cushim_fns[i], __ATOMIC_ACQUIRE); \
		return cushim_f != NULL ? cushim_f args : name##_first args;                     \
	}

// cushim_status returns what cuInit returned when the library's own cuInit
// ran (calling it first if nobody has), and sets *why to why the library
// could not be loaded: dlerror's message, or "" when it was.
CUresult cushim_status(const char **why);

#pragma GCC visibility pop

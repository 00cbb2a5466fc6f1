//go:build cuda

// The loader: the driver library, opened with dlopen on first use, and
// cuInit, which records what the library's cuInit says and reports success,
// so that gorgonia.org/cu's package init does not end the process where
// there is no driver or no GPU.

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "cushim.h"

static pthread_once_t loaded = PTHREAD_ONCE_INIT;
static char load_error[512];
static CUresult (*real_init)(unsigned int);

// init_result is what the library's cuInit returned; -1 until it has run.
static int init_result = -1;

// load opens the library named by PERCEPTRON_LIBCUDA (libcuda.so.1 by
// default) and resolves every function; load_error says why it could not.
static void load(void) {
	const char *path = getenv("PERCEPTRON_LIBCUDA");
	if (path == NULL || *path == '\0') {
		path = "libcuda.so.1";
	}
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (lib != NULL) {
		real_init = (CUresult(*)(unsigned int))dlsym(lib, "cuInit");
	}
	if (real_init == NULL) {
		snprintf(load_error, sizeof load_error, "%s", dlerror());
		if (lib != NULL) {
			dlclose(lib);
		}
		return;
	}
	for (int i = 0; i < cushim_count; i++) {
		__atomic_store_n(&cushim_fns[i], dlsym(lib, cushim_names[i]), __ATOMIC_RELEASE);
	}
}

void *cushim_load(int i) {
	pthread_once(&loaded, load);
	return __atomic_load_n(&cushim_fns[i], __ATOMIC_ACQUIRE);
}

#pragma GCC visibility push(hidden)

CUresult cuInit(unsigned int Flags) {
	pthread_once(&loaded, load);
	int r = real_init != NULL ? real_init(Flags) : CUDA_ERROR_NOT_INITIALIZED;
	__atomic_store_n(&init_result, r, __ATOMIC_RELEASE);
	return CUDA_SUCCESS;
}

#pragma GCC visibility pop

CUresult cushim_status(const char **why) {
	if (__atomic_load_n(&init_result, __ATOMIC_ACQUIRE) < 0) {
		cuInit(0);
	}
	*why = load_error;
	return (CUresult)__atomic_load_n(&init_result, __ATOMIC_ACQUIRE);
}

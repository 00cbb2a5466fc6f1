// A fake CUDA driver for TestDriverLoadedAtRunTime (driver_load_test.go),
// built into a shared library and loaded through PERCEPTRON_LIBCUDA: a few
// driver functions, under the symbols cuda.h's macros give them, whose
// answers depend on their arguments. It has no cuMemFree_v2, so that the
// call of a function the library lacks is tested too. FAKECUDA_INIT, when
// set, is what its cuInit returns.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

enum { SUCCESS = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, NO_DEVICE = 100, INVALID_DEVICE = 101 };
enum { MULTIPROCESSOR_COUNT = 16, COMPUTE_CAPABILITY_MAJOR = 75, COMPUTE_CAPABILITY_MINOR = 76, COOPERATIVE_LAUNCH = 95,
       SHARED_MEMORY_PER_BLOCK_OPTIN = 97 };
enum { SCHED_BLOCKING_SYNC = 4 };

CUresult cuInit(unsigned int flags) {
	const char *r = getenv("FAKECUDA_INIT");
	if (r != NULL) {
		return atoi(r);
	}
	return flags == 0 ? SUCCESS : INVALID_VALUE;
}

CUresult cuGetErrorName(CUresult r, const char **name) {
	if (r != NO_DEVICE) {
		return INVALID_VALUE;
	}
	*name = "CUDA_ERROR_NO_DEVICE";
	return SUCCESS;
}

CUresult cuGetErrorString(CUresult r, const char **desc) {
	if (r != NO_DEVICE) {
		return INVALID_VALUE;
	}
	*desc = "the fake driver has no device";
	return SUCCESS;
}

// Two devices, numbered 10 and 11.
CUresult cuDeviceGetCount(int *count) {
	*count = 2;
	return SUCCESS;
}

CUresult cuDeviceGet(CUdevice *dev, int ordinal) {
	if (ordinal < 0 || ordinal > 1) {
		return INVALID_DEVICE;
	}
	*dev = 10 + ordinal;
	return SUCCESS;
}

CUresult cuDeviceGetName(char *name, int len, CUdevice dev) {
	snprintf(name, len, "Fake GPU %d", dev);
	return SUCCESS;
}

// Device d has compute capability 8.(d-4) and 4·d multiprocessors.
CUresult cuDeviceGetAttribute(int *value, int attrib, CUdevice dev) {
	switch (attrib) {
	case MULTIPROCESSOR_COUNT:
		*value = 4 * dev;
		return SUCCESS;
	case COMPUTE_CAPABILITY_MAJOR:
		*value = 8;
		return SUCCESS;
	case COMPUTE_CAPABILITY_MINOR:
		*value = dev - 4;
		return SUCCESS;
	case COOPERATIVE_LAUNCH:
		*value = dev == 10;
		return SUCCESS;
	case SHARED_MEMORY_PER_BLOCK_OPTIN:
		*value = 99 << 10;
		return SUCCESS;
	}
	return INVALID_VALUE;
}

// Device d has d-9 GiB.
CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev) {
	*bytes = (size_t)(dev - 9) << 30;
	return SUCCESS;
}

// The primary context of device 10 takes CU_CTX_SCHED_BLOCKING_SYNC only;
// it is 0xc0de, which alone can be made current.
CUresult cuDevicePrimaryCtxSetFlags_v2(CUdevice dev, unsigned int flags) {
	if (flags != SCHED_BLOCKING_SYNC || dev != 10) {
		return INVALID_VALUE;
	}
	return SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(void **ctx, CUdevice dev) {
	if (dev != 10) {
		return INVALID_VALUE;
	}
	*ctx = (void *)(uintptr_t)0xc0de;
	return SUCCESS;
}

CUresult cuCtxSetCurrent(void *ctx) { return ctx == (void *)(uintptr_t)0xc0de ? SUCCESS : INVALID_VALUE; }

// Streams are made with flags 0 (CU_STREAM_DEFAULT) only.
CUresult cuStreamCreate(void **stream, unsigned int flags) {
	if (flags != 0) {
		return INVALID_VALUE;
	}
	*stream = (void *)(uintptr_t)0x57ea;
	return SUCCESS;
}

// Device memory is host memory.
CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytes) {
	void *p = malloc(bytes);
	if (p == NULL) {
		return OUT_OF_MEMORY;
	}
	*dptr = (CUdeviceptr)(uintptr_t)p;
	return SUCCESS;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
	memcpy((void *)(uintptr_t)dst, src, bytes);
	return SUCCESS;
}

CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
	memcpy(dst, (const void *)(uintptr_t)src, bytes);
	return SUCCESS;
}

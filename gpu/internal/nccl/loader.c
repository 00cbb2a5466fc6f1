//go:build cuda

// The loader: libnccl opened with dlopen, its functions found with dlsym,
// and the calls through them.

#include <dlfcn.h>
#include <stdio.h>

#include "ncclshim.h"

int nccl_open(const char *path, nccl_lib *l, char *why, size_t len) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(why, len, "%s", dlerror());
		return -1;
	}
	struct {
		const char *name;
		void **fn;
	} fns[] = {
		{"ncclGetVersion", (void **)&l->getVersion},
		{"ncclGetUniqueId", (void **)&l->getUniqueId},
		{"ncclCommInitRank", (void **)&l->commInitRank},
		{"ncclAllReduce", (void **)&l->allReduce},
		{"ncclCommGetAsyncError", (void **)&l->commGetAsyncError},
		{"ncclCommDestroy", (void **)&l->commDestroy},
		{"ncclCommAbort", (void **)&l->commAbort},
		{"ncclGetErrorString", (void **)&l->getErrorString},
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		*fns[i].fn = dlsym(h, fns[i].name);
		if (*fns[i].fn == NULL) {
			snprintf(why, len, "%s has no %s", path, fns[i].name);
			dlclose(h);
			return -1;
		}
	}
	l->handle = h;
	return 0;
}

ncclResult_t nccl_get_version(nccl_lib *l, int *version) { return l->getVersion(version); }

ncclResult_t nccl_get_unique_id(nccl_lib *l, ncclUniqueId *id) { return l->getUniqueId(id); }

ncclResult_t nccl_comm_init_rank(nccl_lib *l, ncclComm_t *comm, int nranks, const ncclUniqueId *id, int rank) {
	return l->commInitRank(comm, nranks, *id, rank);
}

ncclResult_t nccl_all_reduce_sum(nccl_lib *l, uintptr_t send, uintptr_t recv, size_t count, int datatype, ncclComm_t comm, uintptr_t stream) {
	return l->allReduce((const void *)send, (void *)recv, count, datatype, ncclSum, comm, (void *)stream);
}

ncclResult_t nccl_comm_get_async_error(nccl_lib *l, ncclComm_t comm, ncclResult_t *asyncError) {
	return l->commGetAsyncError(comm, asyncError);
}

ncclResult_t nccl_comm_destroy(nccl_lib *l, ncclComm_t comm) { return l->commDestroy(comm); }

ncclResult_t nccl_comm_abort(nccl_lib *l, ncclComm_t comm) { return l->commAbort(comm); }

const char *nccl_get_error_string(nccl_lib *l, ncclResult_t result) { return l->getErrorString(result); }

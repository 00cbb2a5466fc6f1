// The few declarations of NCCL's nccl.h that package nccl needs, so that it
// builds without NCCL's headers, and the library's functions as loader.c
// finds them. The values are nccl.h's (NCCL 2.x).

#include <stddef.h>
#include <stdint.h>

typedef int ncclResult_t;
typedef struct ncclComm *ncclComm_t;

#define NCCL_UNIQUE_ID_BYTES 128
typedef struct {
	char internal[NCCL_UNIQUE_ID_BYTES];
} ncclUniqueId;

enum { ncclSuccess = 0, ncclSum = 0 };

// nccl_lib holds a loaded library and the addresses of its functions.
typedef struct {
	void *handle;
	ncclResult_t (*getVersion)(int *version);
	ncclResult_t (*getUniqueId)(ncclUniqueId *id);
	ncclResult_t (*commInitRank)(ncclComm_t *comm, int nranks, ncclUniqueId id, int rank);
	ncclResult_t (*allReduce)(const void *send, void *recv, size_t count, int datatype, int op, ncclComm_t comm, void *stream);
	ncclResult_t (*commGetAsyncError)(ncclComm_t comm, ncclResult_t *asyncError);
	ncclResult_t (*commDestroy)(ncclComm_t comm);
	ncclResult_t (*commAbort)(ncclComm_t comm);
	const char *(*getErrorString)(ncclResult_t result);
} nccl_lib;

// nccl_open loads the library at path into l. It returns 0 on success and
// otherwise -1, with why (len bytes) saying what failed: dlopen's message,
// or the name of a function the library lacks.
int nccl_open(const char *path, nccl_lib *l, char *why, size_t len);

// The calls through l's function pointers, which Go cannot make itself.
ncclResult_t nccl_get_version(nccl_lib *l, int *version);
ncclResult_t nccl_get_unique_id(nccl_lib *l, ncclUniqueId *id);
ncclResult_t nccl_comm_init_rank(nccl_lib *l, ncclComm_t *comm, int nranks, const ncclUniqueId *id, int rank);
ncclResult_t nccl_all_reduce_sum(nccl_lib *l, uintptr_t send, uintptr_t recv, size_t count, int datatype, ncclComm_t comm, uintptr_t stream);
ncclResult_t nccl_comm_get_async_error(nccl_lib *l, ncclComm_t comm, ncclResult_t *asyncError);
ncclResult_t nccl_comm_destroy(nccl_lib *l, ncclComm_t comm);
ncclResult_t nccl_comm_abort(nccl_lib *l, ncclComm_t comm);
const char *nccl_get_error_string(nccl_lib *l, ncclResult_t result);

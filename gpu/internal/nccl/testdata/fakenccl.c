// A fake NCCL for the tests of package nccl (nccl_test.go), built into a
// shared library: the functions the package loads, whose answers depend on
// their arguments, so that the tests see them passed through. Its "device
// memory" is the host's, and every process of a communicator is taken to
// hold the same values, so that a sum over n processes is n times them. It
// expects the stream FAKE_STREAM. Built with -DFAKE_NO_ASYNC_ERROR, it
// lacks ncclCommGetAsyncError, as NCCL before 2.4 does.

#include <stdint.h>
#include <stdlib.h>

typedef int ncclResult_t;
typedef struct {
	char internal[128];
} ncclUniqueId;

enum { SUCCESS = 0, INVALID_ARGUMENT = 4, INVALID_USAGE = 5, REMOTE_ERROR = 6 };
enum { FLOAT32 = 7, FLOAT64 = 8, SUM = 0 };

#define FAKE_STREAM ((void *)0x5eed)

struct ncclComm {
	int nranks, rank;
};

ncclResult_t ncclGetVersion(int *version) {
	*version = 21805;
	return SUCCESS;
}

// The unique id's byte i is 3·i+1.
ncclResult_t ncclGetUniqueId(ncclUniqueId *id) {
	for (int i = 0; i < 128; i++) {
		id->internal[i] = (char)(3 * i + 1);
	}
	return SUCCESS;
}

ncclResult_t ncclCommInitRank(struct ncclComm **comm, int nranks, ncclUniqueId id, int rank) {
	for (int i = 0; i < 128; i++) {
		if (id.internal[i] != (char)(3 * i + 1)) {
			return INVALID_ARGUMENT;
		}
	}
	*comm = malloc(sizeof **comm);
	(*comm)->nranks = nranks;
	(*comm)->rank = rank;
	return SUCCESS;
}

ncclResult_t ncclAllReduce(const void *send, void *recv, size_t count, int datatype, int op, struct ncclComm *comm, void *stream) {
	if (stream != FAKE_STREAM) {
		return INVALID_USAGE;
	}
	if (op != SUM) {
		return INVALID_ARGUMENT;
	}
	for (size_t i = 0; i < count; i++) {
		switch (datatype) {
		case FLOAT32:
			((float *)recv)[i] = comm->nranks * ((const float *)send)[i];
			break;
		case FLOAT64:
			((double *)recv)[i] = comm->nranks * ((const double *)send)[i];
			break;
		default:
			return INVALID_ARGUMENT;
		}
	}
	return SUCCESS;
}

#ifndef FAKE_NO_ASYNC_ERROR
// The process of rank 1 has lost a peer.
ncclResult_t ncclCommGetAsyncError(struct ncclComm *comm, ncclResult_t *asyncError) {
	*asyncError = comm->rank == 1 ? REMOTE_ERROR : SUCCESS;
	return SUCCESS;
}
#endif

ncclResult_t ncclCommDestroy(struct ncclComm *comm) {
	free(comm);
	return SUCCESS;
}

ncclResult_t ncclCommAbort(struct ncclComm *comm) {
	free(comm);
	return SUCCESS;
}

const char *ncclGetErrorString(ncclResult_t result) {
	switch (result) {
	case INVALID_ARGUMENT:
		return "fake: invalid argument";
	case INVALID_USAGE:
		return "fake: not the stream expected";
	case REMOTE_ERROR:
		return "fake: a peer is gone";
	}
	return "fake: unknown";
}

//go:build cuda

package nccl

// #cgo LDFLAGS: -ldl
// #include <stdlib.h>
// #include "ncclshim.h"
import "C"

import (
	"errors"
	"fmt"
	"os"
	"unsafe"
)

// ErrNoNCCL is returned by Load and Open where NCCL cannot be used: the
// library is missing, or is not NCCL 2.
var ErrNoNCCL = errors.New("NCCL is not installed")

// Library is a loaded libnccl. Its functions may be called from any
// thread; those that take a stream need the CUDA context of the stream's
// device current on the calling thread.
type Library struct{ lib C.nccl_lib }

// Load loads the library that PERCEPTRON_LIBNCCL names, or libnccl.so.2
// from the dynamic linker's search path (see Open).
func Load() (*Library, error) {
	path := os.Getenv("PERCEPTRON_LIBNCCL")
	if path == "" {
		path = "libnccl.so.2"
	}
	return Open(path)
}

// Open loads the NCCL library at path. Where it is missing, or lacks a
// function of NCCL 2 that package nccl calls, the error wraps ErrNoNCCL and
// says why.
func Open(path string) (*Library, error) {
	l := &Library{}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var why [512]C.char
	if C.nccl_open(cpath, &l.lib, &why[0], C.size_t(len(why))) != 0 {
		return nil, fmt.Errorf("%w (%s): install NVIDIA's NCCL 2 (libnccl2), or name its library in PERCEPTRON_LIBNCCL", ErrNoNCCL, C.GoString(&why[0]))
	}
	return l, nil
}

// Error is an NCCL call that failed: the function, the ncclResult_t it
// returned and the library's description of it.
type Error struct {
	Call        string
	Result      int
	Description string
}

// resultNames are the names of nccl.h's ncclResult_t values.
var resultNames = []string{"ncclSuccess", "ncclUnhandledCudaError", "ncclSystemError", "ncclInternalError", "ncclInvalidArgument",
	"ncclInvalidUsage", "ncclRemoteError", "ncclInProgress", "ncclTimeout"}

// Error returns "nccl: CALL: RESULT (DESCRIPTION)".
func (e *Error) Error() string {
	name := fmt.Sprintf("ncclResult_t %d", e.Result)
	if e.Result >= 0 && e.Result < len(resultNames) {
		name = resultNames[e.Result]
	}
	return fmt.Sprintf("nccl: %s: %s (%s)", e.Call, name, e.Description)
}

// check returns nil when an NCCL call succeeded and otherwise an *Error.
func (l *Library) check(call string, r C.ncclResult_t) error {
	if r == C.ncclSuccess {
		return nil
	}
	return &Error{Call: call, Result: int(r), Description: C.GoString(C.nccl_get_error_string(&l.lib, r))}
}

// Version returns the library's version, such as "2.18.5".
func (l *Library) Version() (string, error) {
	var v C.int
	if err := l.check("ncclGetVersion", C.nccl_get_version(&l.lib, &v)); err != nil {
		return "", err
	}
	code := int(v)
	if code < 10000 { // NCCL_VERSION(X,Y,Z) is X*1000+Y*100+Z up to 2.8
		return fmt.Sprintf("%d.%d.%d", code/1000, code%1000/100, code%100), nil
	}
	return fmt.Sprintf("%d.%d.%d", code/10000, code%10000/100, code%100), nil
}

// UniqueID names a communicator that is being created: process 0 draws it
// (NewUniqueID) and sends it to the others, which all pass it to InitRank.
type UniqueID [C.NCCL_UNIQUE_ID_BYTES]byte

// NewUniqueID draws the ID of a new communicator (ncclGetUniqueId).
func (l *Library) NewUniqueID() (UniqueID, error) {
	var id C.ncclUniqueId
	if err := l.check("ncclGetUniqueId", C.nccl_get_unique_id(&l.lib, &id)); err != nil {
		return UniqueID{}, err
	}
	return *(*UniqueID)(unsafe.Pointer(&id)), nil
}

// Comm is this process's member of an NCCL communicator, on the CUDA
// device that was current when InitRank created it.
type Comm struct {
	lib         *Library
	comm        C.ncclComm_t
	rank, ranks int
}

// InitRank joins the communicator id of ranks processes as rank
// (ncclCommInitRank), on the CUDA device current on this thread. It
// returns when every process has joined.
func (l *Library) InitRank(ranks int, id UniqueID, rank int) (*Comm, error) {
	if rank < 0 || rank >= ranks {
		return nil, fmt.Errorf("nccl: ncclCommInitRank: rank %d of %d processes", rank, ranks)
	}
	c := &Comm{lib: l, rank: rank, ranks: ranks}
	cid := (*C.ncclUniqueId)(unsafe.Pointer(&id))
	if err := l.check("ncclCommInitRank", C.nccl_comm_init_rank(&l.lib, &c.comm, C.int(ranks), cid, C.int(rank))); err != nil {
		return nil, err
	}
	return c, nil
}

// Rank returns this process's rank in the communicator.
func (c *Comm) Rank() int { return c.rank }

// Ranks returns the number of processes of the communicator.
func (c *Comm) Ranks() int { return c.ranks }

// DataType is the type of the values an all-reduce sums.
type DataType int

// The data types of nccl.h (ncclFloat32, ncclFloat64).
const (
	Float32 DataType = 7
	Float64 DataType = 8
)

// AllReduceSum queues on stream (a CUstream's address; 0 for the legacy
// default stream) the all-reduce that sets count values of type dt at device
// address recv to the sum over the processes of their count values at
// send (ncclAllReduce with ncclSum; send == recv works in place). It
// returns once the work is queued: a failure on the device or of a peer
// shows later, in AsyncError.
func (c *Comm) AllReduceSum(send, recv uintptr, count int, dt DataType, stream uintptr) error {
	if count < 0 || (dt != Float32 && dt != Float64) {
		return fmt.Errorf("nccl: ncclAllReduce: %d values of data type %d", count, dt)
	}
	return c.lib.check("ncclAllReduce", C.nccl_all_reduce_sum(&c.lib.lib, C.uintptr_t(send), C.uintptr_t(recv), C.size_t(count), C.int(dt), c.comm, C.uintptr_t(stream)))
}

// AsyncError returns the error of the communicator's work so far, nil
// while it is well (ncclCommGetAsyncError): a peer that failed or left, or
// a failure on the device.
func (c *Comm) AsyncError() error {
	var async C.ncclResult_t
	if err := c.lib.check("ncclCommGetAsyncError", C.nccl_comm_get_async_error(&c.lib.lib, c.comm, &async)); err != nil {
		return err
	}
	return c.lib.check("the communicator's work", async)
}

// Destroy frees the communicator once its queued work is done
// (ncclCommDestroy). The Comm cannot be used after it.
func (c *Comm) Destroy() error {
	return c.lib.check("ncclCommDestroy", C.nccl_comm_destroy(&c.lib.lib, c.comm))
}

// Abort frees the communicator at once, dropping its queued work
// (ncclCommAbort), as after an error. The Comm cannot be used after it.
func (c *Comm) Abort() error {
	return c.lib.check("ncclCommAbort", C.nccl_comm_abort(&c.lib.lib, c.comm))
}

//go:build mpi

package distributed

/*
#cgo pkg-config: ompi-c
#include <stdlib.h>
#include <mpi.h>

// Open MPI's handles are macros over the addresses of its globals, which
// cgo cannot take: these wrappers name them.

static int perceptron_mpi_init(int *provided) {
	int r = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, provided);
	if (r == MPI_SUCCESS) {
		r = MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
	}
	return r;
}

static int perceptron_mpi_rank(int *rank) { return MPI_Comm_rank(MPI_COMM_WORLD, rank); }
static int perceptron_mpi_size(int *size) { return MPI_Comm_size(MPI_COMM_WORLD, size); }

static int perceptron_mpi_allreduce(void *buf, int count, int isDouble) {
	return MPI_Allreduce(MPI_IN_PLACE, buf, count, isDouble ? MPI_DOUBLE : MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

static int perceptron_mpi_bcast(void *buf, int count, int root) {
	return MPI_Bcast(buf, count, MPI_BYTE, root, MPI_COMM_WORLD);
}

static void perceptron_mpi_error(int code, char *msg) {
	int len = 0;
	if (MPI_Error_string(code, msg, &len) != MPI_SUCCESS) {
		len = 0;
	}
	msg[len] = '\0';
}
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// maxCount is the most values one MPI call carries (MPI counts are C
// ints); longer buffers go in pieces.
var maxCount = 1 << 30

// mpi is the Comm of MPI_COMM_WORLD. MPI is initialised with
// MPI_THREAD_SERIALIZED, so that any goroutine may call it, one at a time:
// mu sees to that. MPI_Init_thread and MPI_Finalize run on one OS thread,
// as the standard asks, which a goroutine holds until finalize says when.
type mpi struct {
	mu         sync.Mutex
	rank, size int
	closed     bool
	finalize   chan chan error
}

var world struct {
	once sync.Once
	comm *mpi
	err  error
}

// OpenMPI initialises MPI (MPI_Init_thread) and returns the Comm of all the
// processes mpirun started (MPI_COMM_WORLD); a process started without
// mpirun is a group of one. MPI starts once per process: later calls return
// the same Comm, and none works after its Close (MPI_Finalize). MPI's
// errors are returned as errors, not fatal.
func OpenMPI() (Comm, error) {
	world.once.Do(func() {
		started := make(chan struct{})
		go func() {
			runtime.LockOSThread() // for good: the thread ends with the goroutine
			world.comm, world.err = initMPI()
			close(started)
			if world.err == nil {
				reply := <-world.comm.finalize
				reply <- mpiCall("MPI_Finalize", C.MPI_Finalize())
			}
		}()
		<-started
	})
	if world.err != nil {
		return nil, world.err
	}
	return world.comm, nil
}

// initMPI initialises MPI on the calling thread.
func initMPI() (*mpi, error) {
	var provided, rank, size C.int
	if err := mpiCall("MPI_Init_thread", C.perceptron_mpi_init(&provided)); err != nil {
		return nil, err
	}
	if provided < C.MPI_THREAD_SERIALIZED {
		C.MPI_Finalize()
		return nil, errors.New("distributed: MPI_Init_thread: this MPI library does not support MPI_THREAD_SERIALIZED, which Go's threads need")
	}
	if err := mpiCall("MPI_Comm_rank", C.perceptron_mpi_rank(&rank)); err != nil {
		return nil, err
	}
	if err := mpiCall("MPI_Comm_size", C.perceptron_mpi_size(&size)); err != nil {
		return nil, err
	}
	return &mpi{rank: int(rank), size: int(size), finalize: make(chan chan error)}, nil
}

// mpiCall returns nil when an MPI call succeeded and otherwise an error
// naming call and describing the code it returned.
func mpiCall(call string, code C.int) error {
	if code == C.MPI_SUCCESS {
		return nil
	}
	msg := (*C.char)(C.malloc(C.MPI_MAX_ERROR_STRING + 1))
	defer C.free(unsafe.Pointer(msg))
	C.perceptron_mpi_error(code, msg)
	return fmt.Errorf("distributed: %s: %s (MPI error %d)", call, C.GoString(msg), int(code))
}

func (m *mpi) Rank() int { return m.rank }
func (m *mpi) Size() int { return m.size }

// each calls f on the pieces of n values of size bytes from p, at most
// maxCount values each, holding m's lock; call names f's MPI function.
func (m *mpi) each(call string, p unsafe.Pointer, n, size int, f func(p unsafe.Pointer, count C.int) C.int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return fmt.Errorf("distributed: %s after MPI_Finalize", call)
	}
	for done := 0; done < n; done += maxCount {
		count := min(maxCount, n-done)
		if err := mpiCall(fmt.Sprintf("%s of %d values", call, count), f(unsafe.Add(p, done*size), C.int(count))); err != nil {
			return err
		}
	}
	return nil
}

func (m *mpi) AllReduceFloat64(buf []float64) error {
	return m.each("MPI_Allreduce", unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 8, func(p unsafe.Pointer, count C.int) C.int {
		return C.perceptron_mpi_allreduce(p, count, 1)
	})
}

func (m *mpi) AllReduceFloat32(buf []float32) error {
	return m.each("MPI_Allreduce", unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 4, func(p unsafe.Pointer, count C.int) C.int {
		return C.perceptron_mpi_allreduce(p, count, 0)
	})
}

func (m *mpi) Broadcast(buf []byte, root int) error {
	return m.each("MPI_Bcast", unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 1, func(p unsafe.Pointer, count C.int) C.int {
		return C.perceptron_mpi_bcast(p, count, C.int(root))
	})
}

// Close finalises MPI (MPI_Finalize), once.
func (m *mpi) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	reply := make(chan error)
	m.finalize <- reply
	return <-reply
}

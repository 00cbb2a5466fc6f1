//go:build mpi

package distributed

/*
#cgo pkg-config: ompi-c
#include <stdlib.h>
#include <time.h>
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

static int perceptron_mpi_iallreduce(void *buf, int count, int isDouble, MPI_Request *req) {
	return MPI_Iallreduce(MPI_IN_PLACE, buf, count, isDouble ? MPI_DOUBLE : MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, req);
}

static int perceptron_mpi_ibcast(void *buf, int count, int root, MPI_Request *req) {
	return MPI_Ibcast(buf, count, MPI_BYTE, root, MPI_COMM_WORLD, req);
}

static int perceptron_mpi_test(MPI_Request *req, int *done) { return MPI_Test(req, done, MPI_STATUS_IGNORE); }

static void perceptron_mpi_abort(void) { MPI_Abort(MPI_COMM_WORLD, 1); }

// perceptron_mpi_answers sends one byte to every other process, receives
// one from each (tag 0x7e1, which nothing else uses) for up to grace
// seconds, and sets answered[p] to 1 for each process p whose byte came,
// and for this process. The messages of those that did not stay pending,
// with their buffers: the caller aborts.
static void perceptron_mpi_answers(int rank, int size, double grace, int *answered) {
	static char out = 1;
	char *in = malloc(size);
	MPI_Request *recv = malloc(size * sizeof(MPI_Request)), send;
	for (int p = 0; p < size; p++) {
		answered[p] = p == rank;
		recv[p] = MPI_REQUEST_NULL;
		if (p != rank) {
			MPI_Isend(&out, 1, MPI_BYTE, p, 0x7e1, MPI_COMM_WORLD, &send);
			MPI_Request_free(&send);
			MPI_Irecv(&in[p], 1, MPI_BYTE, p, 0x7e1, MPI_COMM_WORLD, &recv[p]);
		}
	}
	struct timespec pause = {0, 1000000};
	for (double end = MPI_Wtime() + grace; MPI_Wtime() < end; nanosleep(&pause, NULL)) {
		int left = 0;
		for (int p = 0; p < size; p++) {
			if (!answered[p] && MPI_Test(&recv[p], &answered[p], MPI_STATUS_IGNORE) != MPI_SUCCESS) {
				answered[p] = 0;
			}
			left += !answered[p];
		}
		if (left == 0) {
			break;
		}
	}
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
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// maxCount is the most values one MPI call carries (MPI counts are C
// ints); longer buffers go in pieces.
var maxCount = 1 << 30

// How a process waits for a collective: it tests the request (MPI_Test,
// which also moves Open MPI's transfers on, so a process that does not
// test holds the others back) without a pause for spin, as the blocking
// MPI_Allreduce would (a runtime.Gosched between tests halved a small
// network's speed; Go preempts the loop for other goroutines); then,
// for a collective that takes longer (a process waiting for a slower
// one), it sleeps between tests, from minPause doubling to maxPause, so as
// to leave its core to others. A step of a small network exchanges its
// gradients in tens of microseconds, and a sleep on that path costs far
// more (time.Sleep of 5 µs took 23 µs at the median and 1.1 ms at the 90th
// percentile on the development machine, one of 50 µs took 1.1 ms), so
// the spin lasts as long as a slow step may.
const (
	spin     = 20 * time.Millisecond
	minPause = 50 * time.Microsecond
	maxPause = time.Millisecond
)

// graceOf is how long a process that timed out waits for the others'
// answers (see answers): as long as they may take to time out too.
func graceOf(limit time.Duration) time.Duration { return min(limit, 5*time.Second) }

// mpi is the Comm of MPI_COMM_WORLD. MPI is initialised with
// MPI_THREAD_SERIALIZED, so that any goroutine may call it, one at a time:
// mu sees to that. MPI_Init_thread and MPI_Finalize run on one OS thread,
// as the standard asks, which a goroutine holds until finalize says when.
// Collectives are MPI's non-blocking ones, tested until they complete or
// their limit passes (clock); after a timeout the Comm is broken.
type mpi struct {
	mu         sync.Mutex
	rank, size int
	closed     bool
	finalize   chan chan error
	clock      clock
	broken     *TimeoutError
	oneMachine bool       // every process runs on this machine (oneMachine)
	segments   []*segment // the Sums that the processes share in memory
}

var world struct {
	once sync.Once
	comm *mpi
	err  error
}

// OpenMPI initialises MPI (MPI_Init_thread) and returns the Comm of all the
// processes mpirun started (MPI_COMM_WORLD); a process started without
// mpirun is a group of one. MPI starts once per process: later calls return
// the same Comm, with the first call's timeout, and none works after its
// Close (MPI_Finalize). MPI's errors are returned as errors, not fatal.
//
// Each collective gives up after timeout (0: the default, 10 times the
// slowest step so far, at least MinTimeout) with a *TimeoutError naming
// the processes that did not answer a message from this one within
// min(timeout, 5 s) after it (MPI does not say which process a collective
// misses; those that answer are waiting too). Close then ends every
// process of the job (MPI_Abort), this one included: report the error
// before.
func OpenMPI(timeout time.Duration) (Comm, error) {
	world.once.Do(func() {
		started := make(chan struct{})
		go func() {
			runtime.LockOSThread() // for good: the thread ends with the goroutine
			world.comm, world.err = initMPI(timeout)
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

// iallreduceAlgorithm is the environment variable of Open MPI's setting
// of the algorithm of libnbc's MPI_Iallreduce (coll_libnbc_iallreduce_algorithm:
// 0 Open MPI's choice, 1 ring, 2 binomial, 3 rabenseifner, 4 recursive
// doubling), which mpirun --mca sets too.
const iallreduceAlgorithm = "OMPI_MCA_coll_libnbc_iallreduce_algorithm"

// preferRing makes the ring (1) libnbc's algorithm of MPI_Iallreduce on 2
// processes, unless the environment names one: Open MPI's own choice
// there (as slow as its binomial, reduce then broadcast) leaves the whole
// reduction to process 0 and took twice as long as the ring on a
// data-parallel step's gradients (W3's 670,000 floats: 0.82–0.92 ms
// against 0.40–0.46 ms, through shared memory), as long on small buffers.
// On 2 processes every order of the sums is a+b, so the sums stay those of
// any algorithm, bit for bit. On 3 or more the ring's order depends on
// where a buffer is cut, so that the buckets' size would change the sums'
// last bits: Open MPI's own choice, whose order does not, stays. Open MPI
// reads it in MPI_Init_thread.
func preferRing() error {
	if _, set := os.LookupEnv(iallreduceAlgorithm); set {
		return nil
	}
	if n, _ := Launched(); n != 2 {
		return nil
	}
	return os.Setenv(iallreduceAlgorithm, "1")
}

// initMPI initialises MPI on the calling thread, with the ring as
// MPI_Iallreduce's algorithm on 2 processes unless the environment names
// one (preferRing).
func initMPI(timeout time.Duration) (*mpi, error) {
	var provided, rank, size C.int
	if err := preferRing(); err != nil {
		return nil, fmt.Errorf("distributed: setting %s: %w", iallreduceAlgorithm, err)
	}
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
	local, err := oneMachine()
	if err != nil {
		return nil, err
	}
	return &mpi{rank: int(rank), size: int(size), finalize: make(chan chan error), clock: newClock(timeout), oneMachine: local}, nil
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

// each runs the collective what on the pieces of n values of size bytes
// from p, at most maxCount values each, holding m's lock: start starts
// the MPI call on a piece, which each waits for within the collective's
// limit. The buffer stays pinned while MPI holds it.
func (m *mpi) each(call, what string, p unsafe.Pointer, n, size int, start func(p unsafe.Pointer, count C.int, req *C.MPI_Request) C.int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return fmt.Errorf("distributed: %s after MPI_Finalize", call)
	}
	if m.broken != nil {
		return m.broken
	}
	began := time.Now()
	deadline := began.Add(m.clock.enter(began))
	defer func() { m.clock.leave(time.Now()) }()
	if n > 0 {
		var pin runtime.Pinner
		pin.Pin((*byte)(p))
		defer pin.Unpin()
	}
	for done := 0; done < n; done += maxCount {
		count := min(maxCount, n-done)
		name := fmt.Sprintf("%s of %s", call, counted(int(count), "value"))
		var req C.MPI_Request
		if err := mpiCall(name, start(unsafe.Add(p, done*size), C.int(count), &req)); err != nil {
			return err
		}
		if completed, err := m.wait(name, &req, deadline); err != nil {
			return err
		} else if !completed {
			m.broken = m.timedOut(what, deadline.Sub(began))
			return m.broken
		}
	}
	return nil
}

// wait tests req until it completes or deadline passes, and returns
// whether it completed.
func (m *mpi) wait(call string, req *C.MPI_Request, deadline time.Time) (bool, error) {
	spinning := time.Now().Add(spin)
	pause := minPause
	for {
		var done C.int
		if err := mpiCall(call, C.perceptron_mpi_test(req, &done)); err != nil || done != 0 {
			return done != 0, err
		}
		now := time.Now()
		if now.After(deadline) {
			return false, nil
		}
		if !now.Before(spinning) {
			time.Sleep(pause)
			pause = min(2*pause, maxPause)
		}
	}
}

// timedOut returns the error of collective what, which waited limit: it
// asks every other process for a message (perceptron_mpi_answers) and
// names those that do not send theirs within graceOf(limit).
func (m *mpi) timedOut(what string, limit time.Duration) *TimeoutError {
	grace := graceOf(limit)
	answered := make([]C.int, m.size)
	C.perceptron_mpi_answers(C.int(m.rank), C.int(m.size), C.double(grace.Seconds()), unsafe.SliceData(answered))
	e := &TimeoutError{Rank: m.rank, Size: m.size, Call: what, Limit: limit,
		Why: fmt.Sprintf("did not answer within %v: unreachable over the network, stopped, or busy elsewhere", grace)}
	for p, a := range answered {
		if a == 0 {
			e.Missing = append(e.Missing, p)
		}
	}
	return e
}

func (m *mpi) AllReduceFloat64(buf []float64) error {
	if m.shares(unsafe.Pointer(unsafe.SliceData(buf)), 8*len(buf)) {
		return waitOn(m.StartAllReduceFloat64(buf))
	}
	return m.each("MPI_Iallreduce", allReduceOf(len(buf), "float64"), unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 8,
		func(p unsafe.Pointer, count C.int, req *C.MPI_Request) C.int {
			return C.perceptron_mpi_iallreduce(p, count, 1, req)
		})
}

func (m *mpi) AllReduceFloat32(buf []float32) error {
	if m.shares(unsafe.Pointer(unsafe.SliceData(buf)), 4*len(buf)) {
		return waitOn(m.StartAllReduceFloat32(buf))
	}
	return m.each("MPI_Iallreduce", allReduceOf(len(buf), "float32"), unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 4,
		func(p unsafe.Pointer, count C.int, req *C.MPI_Request) C.int {
			return C.perceptron_mpi_iallreduce(p, count, 0, req)
		})
}

func (m *mpi) Broadcast(buf []byte, root int) error {
	return m.each("MPI_Ibcast", broadcastOf(len(buf), root), unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 1,
		func(p unsafe.Pointer, count C.int, req *C.MPI_Request) C.int {
			return C.perceptron_mpi_ibcast(p, count, C.int(root), req)
		})
}

func (m *mpi) StartAllReduceFloat64(buf []float64) (Request, error) {
	return m.start(allReduceOf(len(buf), "float64"), unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 8, 1)
}

func (m *mpi) StartAllReduceFloat32(buf []float32) (Request, error) {
	return m.start(allReduceOf(len(buf), "float32"), unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 4, 0)
}

// start starts the all-reduce what of n values of size bytes from p
// (MPI_Iallreduce, of doubles when isDouble is 1), in pieces of at most
// maxCount values, within the limit of m's clock from now; the buffer
// stays pinned until it completes. A buffer in a segment that the
// processes share is summed there instead (startShared).
func (m *mpi) start(what string, p unsafe.Pointer, n, size int, isDouble C.int) (Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errors.New("distributed: MPI_Iallreduce after MPI_Finalize")
	}
	if m.broken != nil {
		return nil, m.broken
	}
	if s, off := m.sharedAt(p, n*size); s != nil {
		return m.startShared(s, what, off, n, size), nil
	}
	r := &mpiRequest{m: m, what: what, began: time.Now()}
	r.deadline = r.began.Add(m.clock.enter(r.began))
	if n > 0 {
		r.pin.Pin((*byte)(p))
	}
	for done := 0; done < n; done += maxCount {
		count := min(maxCount, n-done)
		var req C.MPI_Request
		r.reqs = append(r.reqs, req)
		name := fmt.Sprintf("MPI_Iallreduce of %s", counted(count, "value"))
		if err := mpiCall(name, C.perceptron_mpi_iallreduce(unsafe.Add(p, done*size), C.int(count), isDouble, &r.reqs[len(r.reqs)-1])); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// mpiRequest is an all-reduce under way: its pieces' requests, those
// before left completed.
type mpiRequest struct {
	m               *mpi
	what            string
	reqs            []C.MPI_Request
	left            int
	pin             runtime.Pinner
	began, deadline time.Time
	completed       bool
}

func (r *mpiRequest) Test() (bool, error) { return r.m.test(&r.completed, r.step) }

// step tests r's pieces, the first not known to have completed on, holding
// m's lock, and reports whether all have completed.
func (r *mpiRequest) step() (bool, error) {
	m := r.m
	for ; r.left < len(r.reqs); r.left++ {
		var done C.int
		if err := mpiCall("MPI_Test of "+r.what, C.perceptron_mpi_test(&r.reqs[r.left], &done)); err != nil {
			return false, err
		}
		if done == 0 {
			if time.Now().After(r.deadline) {
				m.broken = m.timedOut(r.what, r.deadline.Sub(r.began))
				return false, m.broken
			}
			return false, nil
		}
	}
	r.pin.Unpin()
	return true, nil
}

// test is a Request's Test: it runs step, which moves the request on and
// reports whether it has completed, holding m's lock, unless the request
// has completed (*completed) or the Comm is broken; it records when the
// request completed.
func (m *mpi) test(completed *bool, step func() (bool, error)) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if *completed {
		return true, nil
	}
	if m.broken != nil {
		return false, m.broken
	}
	done, err := step()
	if done {
		*completed = true
		m.clock.leave(time.Now())
	}
	return done, err
}

// Wait tests r as a blocking collective waits (see spin).
func (r *mpiRequest) Wait() error { return waitFor(r.Test) }

// waitFor calls test until it reports completion or an error, as a
// blocking collective waits (see spin).
func waitFor(test func() (bool, error)) error {
	spinning := time.Now().Add(spin)
	pause := minPause
	for {
		if completed, err := test(); completed || err != nil {
			return err
		}
		if !time.Now().Before(spinning) {
			time.Sleep(pause)
			pause = min(2*pause, maxPause)
		}
	}
}

// waitOn waits for r, started with err.
func waitOn(r Request, err error) error {
	if err != nil {
		return err
	}
	return r.Wait()
}

// Close finalises MPI (MPI_Finalize), once. After a collective timed out
// it ends every process of the job instead (MPI_Abort, error code 1), this
// one included: the collective under way can neither finish nor be
// cancelled, and MPI_Finalize would wait for it.
func (m *mpi) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.broken != nil {
		C.perceptron_mpi_abort()
	}
	if m.closed {
		return nil
	}
	m.closed = true
	reply := make(chan error)
	m.finalize <- reply
	return <-reply
}

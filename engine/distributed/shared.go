//go:build mpi

package distributed

/*
#cgo pkg-config: ompi-c
#cgo CFLAGS: -O3
#include <stddef.h>
#include <string.h>
#include <mpi.h>

// The sums of this process's part of an all-reduce in shared memory: x[q]
// is process q's values of that part, n of them, and the sums go to
// x[own], this process's. Each value's sum is taken in rank order,
// ((x0 + x1) + x2) + …, whatever the part's bounds (no fast-math: the
// order stays), a block of values at a time so that the loops vectorize.
#define PERCEPTRON_SHARED_SUM(name, T)                                    \
static void name(T **x, int p, int own, size_t n) {                      \
	T acc[512];                                                          \
	for (size_t at = 0; at < n; at += 512) {                             \
		size_t m = n - at < 512 ? n - at : 512;                          \
		const T *restrict a = x[0] + at;                                 \
		for (size_t i = 0; i < m; i++) {                                 \
			acc[i] = a[i];                                               \
		}                                                                \
		for (int q = 1; q < p; q++) {                                    \
			const T *restrict b = x[q] + at;                             \
			for (size_t i = 0; i < m; i++) {                             \
				acc[i] += b[i];                                          \
			}                                                            \
		}                                                                \
		memcpy(x[own] + at, acc, m * sizeof(T));                         \
	}                                                                    \
}
PERCEPTRON_SHARED_SUM(perceptron_shared_sum_f32, float)
PERCEPTRON_SHARED_SUM(perceptron_shared_sum_f64, double)

// MPI_COMM_TYPE_SHARED is a macro over a global, as the handles are.
static int perceptron_mpi_one_machine(int *all) {
	MPI_Comm node;
	int r = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
	if (r != MPI_SUCCESS) {
		return r;
	}
	int n, w;
	MPI_Comm_size(node, &n);
	MPI_Comm_size(MPI_COMM_WORLD, &w);
	*all = n == w;
	return MPI_Comm_free(&node);
}
*/
import "C"

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// SharedMemoryVariable is the environment variable that, set to 0, keeps a
// data-parallel step's all-reduce on Open MPI's MPI_Iallreduce where the
// processes share a machine (see segment).
const SharedMemoryVariable = "PERCEPTRON_SHARED_MEMORY"

// sharedDir is where the segments' files are made: memory, on Linux.
var sharedDir = "/dev/shm"

// oneMachine reports whether every process of MPI_COMM_WORLD runs on this
// machine, as Open MPI knows it (MPI_Comm_split_type, MPI_COMM_TYPE_SHARED):
// a collective.
func oneMachine() (bool, error) {
	var all C.int
	err := mpiCall("MPI_Comm_split_type", C.perceptron_mpi_one_machine(&all))
	return all != 0, err
}

// A segment holds a data-parallel step's Sums of every process of one
// machine in memory they all map (a file in /dev/shm), so that the
// all-reduce of its buffer runs there, without Open MPI, in three phases,
// each closed by a count in the shared header that every process waits
// for all to reach:
//
//  1. arrived: the process's copy of the buffer is final;
//  2. summed: it has summed its part of the buffer (Shard of the values)
//     over every process's copy, in rank order, into its own copy;
//  3. copied: it has copied the other parts' sums from their processes'
//     copies into its own. The all-reduce has completed when every process
//     has; only then may a process write its copy again.
//
// A process writes only its own copy and reads the others', so that no
// cache line it writes is also written by another core: where each process
// wrote its sums into every copy, the lines went back and forth between
// the cores.
// On W3's gradients (669,707 floats, 2 processes) each process reads 1.3
// MB of the other's copy twice, where Open MPI's MPI_Iallreduce copies the
// buffer into its shared queues and out again.
//
// Each value's sum is taken in rank order, whatever the buckets, so the
// model does not depend on them, on any number of processes, as with
// RunLocal; on 2 processes every order is a+b and the sums are Open MPI's,
// bit for bit.
//
// Layout of the file: a header with each process's three counts, each on a
// cache line of its own (at 192·rank: arrived, summed at +64, copied at
// +128), then the file's token, then each process's copy of the buffer,
// page aligned.
type segment struct {
	mem     []byte              // the mapping
	copies  [][]byte            // each process's buffer, in rank order
	counts  [3][]*atomic.Uint64 // each phase's counts, by process
	started uint64              // all-reduces this process started
	queue   []*sharedRequest    // started here and not yet copied here, in order
	at      []unsafe.Pointer    // where each copy's part starts, for sum (C reads it)
}

// The phases of an all-reduce in a segment, which index its counts.
const (
	arrived = iota
	summed
	copied
)

const (
	pageBytes = 4096
	lineBytes = 64
)

// roundUp returns n rounded up to a multiple of m.
func roundUp(n, m int) int { return (n + m - 1) / m * m }

// shareMemory returns, in a collective of m's processes, this process's
// copy of a segment of bytes bytes that all of them map, or nil where they
// cannot: not every process on one machine, SharedMemoryVariable set to 0,
// or a process that failed to make or map the file (makeSegmentFile:
// /dev/shm too small). Process 0 makes the file, under a random name with
// a random token after the header's counts, and broadcasts both; each
// process maps it and checks the token, and the file is removed once every
// process has mapped it (or failed), so that it goes when the last process
// unmaps it, even after a crash.
func (m *mpi) shareMemory(bytes int) ([]byte, func() error, error) {
	if m.size < 2 || !m.oneMachine || os.Getenv(SharedMemoryVariable) == "0" {
		return nil, nil, nil
	}
	tokenAt := 3 * lineBytes * m.size
	header := roundUp(tokenAt+16, pageBytes)
	each := roundUp(max(bytes, 1), pageBytes)
	total := header + m.size*each
	id := make([]byte, 32) // the file's name, then its token
	var made error
	if m.rank == 0 {
		made = makeSegmentFile(id, total, tokenAt)
	}
	if err := m.Broadcast(id, 0); err != nil {
		return nil, nil, err
	}
	var mem []byte
	if made == nil {
		mem, made = mapSegmentFile(id, total, tokenAt)
	}
	ok, err := Any(m, made != nil)
	if m.rank == 0 {
		_ = os.Remove(segmentFile(id))
	}
	if err != nil || ok {
		if mem != nil {
			_ = syscall.Munmap(mem)
		}
		return nil, nil, err
	}
	s := &segment{mem: mem, at: make([]unsafe.Pointer, m.size)}
	for q := range m.size {
		s.copies = append(s.copies, mem[header+q*each:header+q*each+bytes:header+q*each+bytes])
		for phase := range s.counts {
			s.counts[phase] = append(s.counts[phase], (*atomic.Uint64)(unsafe.Pointer(&mem[(3*q+phase)*lineBytes])))
		}
	}
	m.mu.Lock()
	m.segments = append(m.segments, s)
	m.mu.Unlock()
	return s.copies[m.rank], func() error { return m.unshare(s) }, nil
}

// segmentFile returns the path of the segment file of id (its name, then
// its token).
func segmentFile(id []byte) string {
	return filepath.Join(sharedDir, "perceptron-"+hex.EncodeToString(id[:16]))
}

// makeSegmentFile draws id, a name and a token, and makes the segment file
// of that name, of total bytes, with the token at byte at. It allocates
// the file's memory now (fallocate), so that a file system too small for
// it fails here, with the file removed, rather than with SIGBUS when a
// process first writes a page of it.
func makeSegmentFile(id []byte, total, at int) error {
	if _, err := rand.Read(id); err != nil {
		return err
	}
	name := segmentFile(id)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err = syscall.Fallocate(int(f.Fd()), 0, 0, int64(total)); err == nil {
		_, err = f.WriteAt(id[16:], int64(at))
	}
	if err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("distributed: shared memory of %d bytes in %s: %w", total, sharedDir, err)
	}
	return nil
}

// mapSegmentFile maps the segment file of id, of total bytes, and checks
// that it holds id's token at byte at: the file process 0 made, on this
// machine.
func mapSegmentFile(id []byte, total, at int) ([]byte, error) {
	f, err := os.OpenFile(segmentFile(id), os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	mem, err := syscall.Mmap(int(f.Fd()), 0, total, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	if string(mem[at:at+16]) != string(id[16:]) {
		_ = syscall.Munmap(mem)
		return nil, errors.New("distributed: the shared segment's token differs: another machine's file")
	}
	return mem, nil
}

// unshare unmaps segment s, which no all-reduce may use any more.
func (m *mpi) unshare(s *segment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, t := range m.segments {
		if t == s {
			m.segments = append(m.segments[:i], m.segments[i+1:]...)
			return syscall.Munmap(s.mem)
		}
	}
	return nil
}

// sharedAt returns the segment whose copy of this process holds the n
// bytes at p, and their offset in it, or nil.
func (m *mpi) sharedAt(p unsafe.Pointer, n int) (*segment, int) {
	if n == 0 {
		return nil, 0
	}
	for _, s := range m.segments {
		mine := s.copies[m.rank]
		off := int(uintptr(p) - uintptr(unsafe.Pointer(unsafe.SliceData(mine))))
		if uintptr(p) >= uintptr(unsafe.Pointer(unsafe.SliceData(mine))) && off+n <= len(mine) {
			return s, off
		}
	}
	return nil, 0
}

// sharedRequest is an all-reduce in a segment, the k-th of the segment,
// of values of size bytes at bytes off to end of each copy, of which this
// process sums bytes lo to hi; phase is the last of the segment's phases
// this process has passed in it (arrived, once started).
type sharedRequest struct {
	m                *mpi
	s                *segment
	what             string
	k                uint64
	off, end, lo, hi int
	size             int
	phase            int
	began, deadline  time.Time
	completed        bool
}

// startShared starts the all-reduce what of the n values of size bytes at
// byte off of this process's copy of segment s, holding m's lock: it says
// that this process has arrived.
func (m *mpi) startShared(s *segment, what string, off, n, size int) *sharedRequest {
	s.started++
	lo, hi := Shard(m.rank, m.size, n)
	r := &sharedRequest{m: m, s: s, what: what, k: s.started, off: off, end: off + n*size,
		lo: off + lo*size, hi: off + hi*size, size: size, phase: arrived, began: time.Now()}
	r.deadline = r.began.Add(m.clock.enter(r.began))
	s.queue = append(s.queue, r)
	s.counts[arrived][m.rank].Store(s.started)
	return r
}

// behind returns the processes whose count is below k.
func behind(counts []*atomic.Uint64, k uint64) []int {
	var late []int
	for q, c := range counts {
		if c.Load() < k {
			late = append(late, q)
		}
	}
	return late
}

// progress moves the all-reduces this process started on, in order, as far
// as the other processes' counts let it: it sums its part of one once
// every process has arrived, and copies the others' parts once every
// process has summed.
func (s *segment) progress(rank int) {
	for len(s.queue) > 0 {
		r := s.queue[0]
		if len(behind(s.counts[r.phase], r.k)) > 0 {
			return
		}
		switch r.phase {
		case arrived:
			s.sum(rank, r)
		case summed:
			for q, c := range s.copies {
				if q != rank {
					lo, hi := Shard(q, len(s.copies), (r.end-r.off)/r.size)
					copy(s.copies[rank][r.off+lo*r.size:r.off+hi*r.size], c[r.off+lo*r.size:r.off+hi*r.size])
				}
			}
			s.queue = s.queue[1:]
		}
		r.phase++
		s.counts[r.phase][rank].Store(r.k)
	}
}

// sum sums this process's part of r over every process's copy into its
// own.
func (s *segment) sum(rank int, r *sharedRequest) {
	n := (r.hi - r.lo) / r.size
	if n == 0 {
		return
	}
	for q, c := range s.copies {
		s.at[q] = unsafe.Pointer(&c[r.lo])
	}
	if r.size == 4 {
		C.perceptron_shared_sum_f32((**C.float)(unsafe.Pointer(&s.at[0])), C.int(len(s.at)), C.int(rank), C.size_t(n))
	} else {
		C.perceptron_shared_sum_f64((**C.double)(unsafe.Pointer(&s.at[0])), C.int(len(s.at)), C.int(rank), C.size_t(n))
	}
}

// phaseWhy says how a TimeoutError knows that a process did not pass each
// phase.
var phaseWhy = [...]string{
	arrived: "did not arrive (its count in shared memory stayed behind)",
	summed:  "did not sum its part (its count in shared memory stayed behind)",
	copied:  "did not copy the sums (its count in shared memory stayed behind)",
}

func (r *sharedRequest) Test() (bool, error) { return r.m.test(&r.completed, r.step) }

// step moves the segment's all-reduces on (progress), holding m's lock, and
// reports whether r has completed: every process has copied its sums.
func (r *sharedRequest) step() (bool, error) {
	m := r.m
	r.s.progress(m.rank)
	if r.phase == copied && len(behind(r.s.counts[copied], r.k)) == 0 {
		return true, nil
	}
	if time.Now().After(r.deadline) {
		e := &TimeoutError{Rank: m.rank, Size: m.size, Call: r.what, Limit: r.deadline.Sub(r.began)}
		for phase, counts := range r.s.counts {
			if e.Missing = behind(counts, r.k); len(e.Missing) > 0 {
				e.Why = phaseWhy[phase]
				break
			}
		}
		m.broken = e
		return false, m.broken
	}
	return false, nil
}

// Wait tests r as a blocking collective waits (see spin).
func (r *sharedRequest) Wait() error { return waitFor(r.Test) }

// shares reports whether the n bytes at p lie in a segment.
func (m *mpi) shares(p unsafe.Pointer, n int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, _ := m.sharedAt(p, n)
	return s != nil
}

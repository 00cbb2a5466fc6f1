package distributed

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unsafe"
)

// Comm is a group of processes that train one model together. Every method
// but Rank and Size is a collective: each process of the group calls it
// with buffers of the same length, and it returns when this process's part
// is done.
type Comm interface {
	// Rank returns this process's number, 0 to Size()-1.
	Rank() int
	// Size returns the number of processes.
	Size() int
	// AllReduceFloat64 and AllReduceFloat32 replace buf, on every process,
	// by the element-wise sum of every process's buf. Every process gets the
	// same sums, bit for bit.
	AllReduceFloat64(buf []float64) error
	AllReduceFloat32(buf []float32) error
	// Broadcast copies the root process's buf into every process's buf.
	Broadcast(buf []byte, root int) error
	// Close leaves the group; the Comm cannot be used after it.
	Close() error
}

// Float is a precision a Comm all-reduces.
type Float interface{ ~float32 | ~float64 }

// AllReduce sums buf over c's processes, in buf's precision (see
// Comm.AllReduceFloat64).
func AllReduce[T Float](c Comm, buf []T) error {
	if unsafe.Sizeof(T(0)) == 4 {
		return c.AllReduceFloat32(unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(buf))), len(buf)))
	}
	return c.AllReduceFloat64(unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(buf))), len(buf)))
}

// BroadcastFloat64 copies the root process's buf into every process's buf.
func BroadcastFloat64(c Comm, buf []float64, root int) error {
	return c.Broadcast(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(buf))), 8*len(buf)), root)
}

// Shard returns the part of n items (the rows of a batch) that process
// rank of size takes: items lo to hi-1. The parts are consecutive and their
// sizes differ by one at most: when size does not divide n, the first
// n mod size processes take one more. A process whose part is empty (n <
// size) gets lo == hi.
func Shard(rank, size, n int) (lo, hi int) {
	q, r := n/size, n%size
	lo = rank*q + min(rank, r)
	hi = lo + q
	if rank < r {
		hi++
	}
	return lo, hi
}

// Any returns, on every process, whether b was true on any of c's processes.
func Any(c Comm, b bool) (bool, error) {
	flag := []float64{0}
	if b {
		flag[0] = 1
	}
	if err := c.AllReduceFloat64(flag); err != nil {
		return false, err
	}
	return flag[0] > 0, nil
}

// RankError is the error every process of a group returns when one of
// them failed (see Agree): the failing process's rank and its message.
type RankError struct {
	Rank, Size int
	Message    string
}

// Error returns "process RANK of SIZE: MESSAGE".
func (e *RankError) Error() string {
	return fmt.Sprintf("process %d of %d: %s", e.Rank, e.Size, e.Message)
}

// Agree makes the processes of c fail together: each calls it with its own
// outcome, nil or an error. When every outcome is nil it returns nil
// everywhere. Otherwise the process of lowest rank that failed returns its
// own err, and every other process a *RankError with that process's rank
// and message, so that process 0 can name the cause whichever process met
// it. An error of the transport itself is returned as it is.
func Agree(c Comm, err error) error {
	failed := make([]float64, c.Size())
	if err != nil {
		failed[c.Rank()] = 1
	}
	if e := c.AllReduceFloat64(failed); e != nil {
		return e
	}
	for r, f := range failed {
		if f == 0 {
			continue
		}
		var msg []byte
		if r == c.Rank() {
			msg = []byte(err.Error())
		}
		if msg, e := broadcastBytes(c, msg, r); e != nil {
			return e
		} else if r != c.Rank() {
			return &RankError{Rank: r, Size: c.Size(), Message: string(msg)}
		}
		return err
	}
	return nil
}

// Setting is one thing every process of a group must share: its name and
// its value as text.
type Setting struct{ Name, Value string }

// SameAsRoot checks that settings, what every process must share (the
// fit's settings, the size and checksum of the data), are the same on every
// process as on process 0; what names what they describe. It returns nil
// everywhere when they are, and otherwise, as Agree does, an error naming
// the first process that differs and each setting that does, with both
// values: "WHAT differs from process 0's: NAME: process 0 has A, process R
// has B".
func SameAsRoot(c Comm, what string, settings []Setting) error {
	values := make([]string, len(settings))
	for i, s := range settings {
		values[i] = s.Value
	}
	root, err := broadcastBytes(c, []byte(strings.Join(values, "\x00")), 0)
	if err != nil {
		return err
	}
	rootValues := strings.Split(string(root), "\x00")
	var differ []string
	for i, s := range settings {
		switch {
		case len(rootValues) != len(settings): // another build: every value, as it is
			differ = []string{fmt.Sprintf("process 0 has %q; process %d has %q", root, c.Rank(), strings.Join(values, "\x00"))}
		case rootValues[i] != s.Value:
			differ = append(differ, fmt.Sprintf("%s: process 0 has %s, process %d has %s", s.Name, rootValues[i], c.Rank(), s.Value))
		}
		if len(rootValues) != len(settings) {
			break
		}
	}
	var differs error
	if len(differ) > 0 {
		differs = fmt.Errorf("%s differs from process 0's: %s", what, strings.Join(differ, "; "))
	}
	return Agree(c, differs)
}

// broadcastBytes returns the root process's b on every process: its length,
// then its bytes.
func broadcastBytes(c Comm, b []byte, root int) ([]byte, error) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
	if err := c.Broadcast(n[:], root); err != nil {
		return nil, err
	}
	if c.Rank() != root {
		b = make([]byte, binary.LittleEndian.Uint64(n[:]))
	}
	if err := c.Broadcast(b, root); err != nil {
		return nil, err
	}
	return b, nil
}

// ErrNoMPI is returned by OpenMPI in a build without MPI.
var ErrNoMPI = errors.New("built without MPI support: rebuild with go build -tags mpi ./cmd/perceptron (Debian: apt-get install libopenmpi-dev openmpi-bin)")

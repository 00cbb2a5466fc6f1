package distributed

import "unsafe"

// Starter is a Comm whose all-reduces can run while the process computes:
// Open MPI's (MPI_Iallreduce) and RunLocal's. A Start call is a collective
// as the blocking ones are: every process starts the same all-reduces, of
// the same lengths, in the same order, and no other collective of the Comm
// may start before those started have completed.
type Starter interface {
	// StartAllReduceFloat64 and StartAllReduceFloat32 start the all-reduce
	// of buf (see Comm.AllReduceFloat64) and return before it completes;
	// buf must not be read or written until its Request has completed.
	StartAllReduceFloat64(buf []float64) (Request, error)
	StartAllReduceFloat32(buf []float32) (Request, error)
}

// Request is an all-reduce under way (Starter). Its limit in time is that
// of a blocking collective, counted from its start; past it, Test and Wait
// return the *TimeoutError, and the Comm is broken.
type Request interface {
	// Test moves the all-reduce on (a process that does not test holds the
	// others back) and reports whether it has completed.
	Test() (bool, error)
	// Wait returns when the all-reduce has completed.
	Wait() error
}

// StartAllReduce starts the all-reduce of buf, in buf's precision (see
// Starter), on a Comm that is a Starter; on one that is not, it runs the
// blocking all-reduce and returns a Request already completed.
func StartAllReduce[T Float](c Comm, buf []T) (Request, error) {
	s, ok := c.(Starter)
	if !ok {
		return done{}, AllReduce(c, buf)
	}
	if unsafe.Sizeof(T(0)) == 4 {
		return s.StartAllReduceFloat32(unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(buf))), len(buf)))
	}
	return s.StartAllReduceFloat64(unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(buf))), len(buf)))
}

// done is a Request that has completed.
type done struct{}

func (done) Test() (bool, error) { return true, nil }
func (done) Wait() error         { return nil }

// DefaultBucketBytes is the size of the buckets of a data-parallel step's
// all-reduce (Buckets) when none is given: 25 MiB, PyTorch
// DistributedDataParallel's default.
const DefaultBucketBytes = 25 << 20

// Buckets all-reduces the Sums of a data-parallel step in buckets, as
// PyTorch's DistributedDataParallel does, so that the all-reduce of the
// gradients the backward pass has produced (the last layer's first)
// overlaps the computation of the others'. The buckets are consecutive
// parts of the Sums' buffer of at most a bucket's size, counted from its
// end: the first holds the flags and the last values, the last bucket the
// first values, whatever is left. The processes cut them alike and start
// them in the same order, from the end.
//
// A step sets the flags, then calls Ready each time the values from some
// index to the end are final, Progress between its computations, and Wait
// before it reads the sums. An error of the Comm is kept and returned by
// Wait.
type Buckets[T Float] struct {
	c       Comm
	buf     []T
	bounds  [][2]int  // the buckets, in the order they start (BucketBounds)
	next    int       // the buckets bounds[:next] have started
	pending []Request // started, not known to have completed, in order
	err     error
}

// NewBuckets returns the Buckets of s over c, of bytes bytes each (at
// least one value; DefaultBucketBytes for bytes ≤ 0).
func NewBuckets[T Float](c Comm, s *Sums[T], bytes int) *Buckets[T] {
	return &Buckets[T]{c: c, buf: s.buf, bounds: BucketBounds(len(s.buf), int(unsafe.Sizeof(T(0))), bytes)}
}

// BucketBounds returns the buckets of bytes bytes each (at least one
// value; DefaultBucketBytes for bytes ≤ 0) of a Sums' buffer of n values
// of valueBytes bytes, as Buckets cuts them, in the order the processes
// start them: bucket k is the buffer's values [bounds[k][0], bounds[k][1]),
// the first at its end. A backend whose all-reduce runs elsewhere (NCCL on
// a GPU) cuts its Sums with it, so that every backend's buckets are one.
func BucketBounds(n, valueBytes, bytes int) [][2]int {
	if bytes <= 0 {
		bytes = DefaultBucketBytes
	}
	size := max(1, bytes/valueBytes)
	bounds := make([][2]int, 0, (n+size-1)/size)
	for hi := n; hi > 0; hi -= size {
		bounds = append(bounds, [2]int{max(0, hi-size), hi})
	}
	return bounds
}

// Count returns the number of buckets a step's all-reduce takes.
func (b *Buckets[T]) Count() int { return len(b.bounds) }

// Ready says that values[from:] and the flags are final: it starts every
// bucket that lies within them and has not started, then moves the
// all-reduces under way on (Progress).
func (b *Buckets[T]) Ready(from int) {
	for ; b.err == nil && b.next < len(b.bounds) && b.bounds[b.next][0] >= from; b.next++ {
		lo, hi := b.bounds[b.next][0], b.bounds[b.next][1]
		r, err := StartAllReduce(b.c, b.buf[lo:hi])
		b.err = err
		b.pending = append(b.pending, r)
	}
	b.Progress()
}

// Progress moves the all-reduces under way on: a process with one thread
// calls it between its computations, since Open MPI moves a non-blocking
// collective on only when its process tests it.
func (b *Buckets[T]) Progress() {
	for len(b.pending) > 0 && b.err == nil {
		completed, err := b.pending[0].Test()
		if b.err = err; !completed {
			return
		}
		b.pending = b.pending[1:]
	}
}

// Wait starts the buckets not yet started and returns when every one has
// completed: the Sums then hold the sums over the processes. The Buckets
// are then ready for the next step.
func (b *Buckets[T]) Wait() error {
	b.Ready(0)
	for _, r := range b.pending {
		if b.err == nil {
			b.err = r.Wait()
		}
	}
	err := b.err
	b.pending, b.next, b.err = b.pending[:0], 0, nil
	return err
}

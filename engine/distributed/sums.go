package distributed

import (
	"math"
	"unsafe"
)

// Sums is what one all-reduce of a data-parallel fit carries: values that
// the processes sum, then flags, so that every process learns in the same
// collective call whether any process met a condition, and decides alike.
// Its layout is the protocol's, on the host and on a GPU alike:
//
//	values[0] … values[n-1], flag[0] … flag[k-1]
//
// A process leaves a flag at 0 when it has nothing to report, and sets it
// to a value that is not 0 when it has; the sum of a flag over the
// processes is 0 exactly when no process set it. Two all-reduces of a fit
// carry Sums:
//
//   - Each data-parallel step: the n gradients of the parameters, each
//     process's weighted by its shard's share of the batch, and StepFlags
//     flag, the verdict on the shard's losses (Verdict). After the sum the
//     values are the gradient of the batch's mean loss, and the flag is 0
//     when every loss of the batch was finite, NaN or ±Inf when one was
//     not. The CPU backend holds these Sums in memory; the CUDA backend
//     holds the same layout on the device, where its kernel
//     share_gradients writes the weighted gradients and the verdict, NCCL
//     (or, on the emulator, these Sums on the host) sums them, and
//     flag_step keeps the verdict as the step's flag.
//   - The totals of an epoch's steps, when Fit reads them: the loss, the
//     correct count and the examples of each process's shards, and two
//     flags set to 1, by a process that failed to read them and by one
//     whose failure was a loss that was not finite, whose sums count those
//     processes.
type Sums[T Float] struct {
	buf     []T // the values, then the flags
	values  int
	release func() error // unmaps buf, where it lies in memory the processes share
}

// StepFlags is the number of flags that a data-parallel step's Sums carry
// after the gradients: one, the verdict on the shard's losses.
const StepFlags = 1

// NewSums returns Sums of values values and flags flags, all 0.
func NewSums[T Float](values, flags int) *Sums[T] {
	return &Sums[T]{buf: make([]T, values+flags), values: values}
}

// memorySharer is a Comm whose processes can map one memory, so that the
// all-reduce of a buffer there sums in place: OpenMPI's, when every process
// runs on one machine.
type memorySharer interface {
	// shareMemory returns, in a collective, this process's copy of bytes
	// bytes that every process maps, and the function that unmaps it; nil
	// where they cannot.
	shareMemory(bytes int) ([]byte, func() error, error)
}

// NewSumsOn returns Sums of values values and flags flags, all 0, for the
// all-reduces of c: in memory that c's processes share where they can (every
// process of an Open MPI job on one machine), so that the all-reduce sums
// in place, and otherwise as NewSums does. It is a collective. Close
// releases the memory. A Comm that wraps another (to time it, say) lets
// NewSumsOn reach the one it wraps with a method Unwrap() Comm.
func NewSumsOn[T Float](c Comm, values, flags int) (*Sums[T], error) {
	for {
		w, ok := c.(interface{ Unwrap() Comm })
		if !ok {
			break
		}
		c = w.Unwrap()
	}
	s, ok := c.(memorySharer)
	if !ok {
		return NewSums[T](values, flags), nil
	}
	n := values + flags
	mem, release, err := s.shareMemory(n * int(unsafe.Sizeof(T(0))))
	if err != nil || mem == nil {
		return NewSums[T](values, flags), err
	}
	return &Sums[T]{buf: unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(mem))), n), values: values, release: release}, nil
}

// Close releases the memory of Sums from NewSumsOn that the processes
// share; the Sums cannot be used after it. It does nothing to other Sums.
func (s *Sums[T]) Close() error {
	if s.release == nil {
		return nil
	}
	release := s.release
	s.buf, s.release = nil, nil
	return release()
}

// Values returns the values, in place: writing to them writes the Sums.
func (s *Sums[T]) Values() []T { return s.buf[:s.values] }

// Flag returns flag i: this process's, or after AllReduce the sum of
// every process's.
func (s *Sums[T]) Flag(i int) float64 { return float64(s.buf[s.values+i]) }

// SetFlag sets this process's flag i to v.
func (s *Sums[T]) SetFlag(i int, v float64) { s.buf[s.values+i] = T(v) }

// Buffer returns the values and the flags, in place, laid out as the
// protocol says: for a transport that sums them elsewhere (the CUDA
// emulator copies a step's Sums from its device into it and back).
func (s *Sums[T]) Buffer() []T { return s.buf }

// AllReduce replaces the values and the flags, on every process, by their
// sums over c's processes (see Comm.AllReduceFloat64).
func (s *Sums[T]) AllReduce(c Comm) error { return AllReduce(c, s.buf) }

// Verdict returns what a process sets a step's flag to for loss, the loss
// of its shard (their sum, or the first that is not finite): 0 when loss
// is finite, and loss itself, NaN or ±Inf, when it is not. The sum of such
// verdicts over the processes is 0 when every loss was finite and NaN or
// ±Inf when one was not, in float32 as in float64.
func Verdict(loss float64) float64 {
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss
	}
	return 0
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/distributed"
)

// dataParallel returns c when it joins more than one process and nil
// otherwise: a fit of one process runs as a fit without a Comm.
func dataParallel(c distributed.Comm) distributed.Comm {
	if c == nil || c.Size() < 2 {
		return nil
	}
	return c
}

// procs returns the number of processes c joins (1 for nil).
func procs(c distributed.Comm) int {
	if c = dataParallel(c); c == nil {
		return 1
	}
	return c.Size()
}

// leads reports whether this process reports the fit: the only one, or
// process 0 of a data-parallel fit.
func (f *fit) leads() bool { return f.comm == nil || f.comm.Rank() == 0 }

// agree returns err; in a data-parallel fit, it makes every process fail
// together when one fails (distributed.Agree).
func (f *fit) agree(err error) error {
	if f.comm == nil {
		return err
	}
	return distributed.Agree(f.comm, err)
}

// join starts a data-parallel fit on every process together, setup being
// this process's outcome of the checks and the resume: the processes fail
// together if one failed, then check that each has process 0's fit
// (settings, data, generator, checkpoint) and take process 0's parameters.
func (f *fit) join(setup error, train *dataset.Set, at start) error {
	if err := distributed.Agree(f.comm, setup); err != nil {
		return err
	}
	rng, err := f.rng.MarshalBinary()
	if err := distributed.Agree(f.comm, err); err != nil {
		return err
	}
	nets := slices.Clone(at.state) // and early stopping's best parameters
	if f.best != nil {
		nets = append(nets, f.best)
	}
	var resumed [][]float64
	for _, n := range nets {
		for _, l := range n.Layers {
			resumed = append(resumed, l.W, l.B)
		}
	}
	c := f.cfg
	settings := []distributed.Setting{
		{Name: "the training data", Value: fmt.Sprintf("%d examples (crc32c %08x)", train.N, f.data.Train)},
		{Name: "the batch", Value: fmt.Sprint(f.batch)}, {Name: "the epochs", Value: fmt.Sprint(c.Epochs)}, {Name: "the optimizer", Value: c.Optimizer.String()},
		{Name: "the schedule", Value: c.Schedule.String()}, {Name: "the learning rate", Value: fmt.Sprint(c.LearningRate)},
		{Name: "the generator", Value: fmt.Sprintf("%08x", checksum(rng))}, {Name: "the start", Value: fmt.Sprintf("epoch %d example %d", at.epoch, at.done)},
		{Name: "the order", Value: fmt.Sprintf("%08x", checksum(f.order))}, {Name: "the parameters and state resumed", Value: fmt.Sprintf("%08x", checksum(resumed...))},
		{Name: "the early stopping", Value: fmt.Sprintf("%+v", f.early)}, {Name: "the monitor", Value: c.Monitor.String()}, {Name: "the clipping", Value: fmt.Sprintf("%+v", c.Clip)},
		{Name: "the all-reduce's buckets", Value: fmt.Sprintf("%d bytes", c.BucketBytes)}, {Name: "the plateau", Value: fmt.Sprintf("%+v", f.plateau)}, {Name: "the validation data", Value: fmt.Sprintf("%d examples (crc32c %08x)", f.data.ValidationExamples, f.data.Validation)},
	}
	if err := distributed.SameAsRoot(f.comm, "the data-parallel fit", settings); err != nil {
		return err
	}
	for _, l := range f.net.Layers {
		for _, p := range [][]float64{l.W, l.B} {
			if err := distributed.BroadcastFloat64(f.comm, p, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// checksum returns the CRC-32C of the bytes of vs, in order.
func checksum[T byte | int | float64](vs ...[]T) uint32 {
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	for _, v := range vs {
		h.Write(bytesOf(v))
	}
	return h.Sum32()
}

// bytesOf returns the memory of v.
func bytesOf[T byte | int | float64](v []T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*int(unsafe.Sizeof(*new(T))))
}

// setChecksum returns the CRC-32C of the bytes s is held in: its features
// (float64 values, or a coded set's codes then the 256 float64 levels they
// stand for), then its labels and weights. It recognises a set by its
// content at memory speed (a coded set hashes a byte a value): the same
// data read with the same settings is held the same way, and any value
// changed changes it.
func setChecksum(s *dataset.Set) uint32 {
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	if n := s.N * s.Features; s.X != nil {
		h.Write(bytesOf(s.X[:n]))
	} else if s.Codes != nil {
		h.Write(s.Codes.Bytes[:n])
		h.Write(bytesOf(s.Codes.Levels[:]))
	}
	h.Write(bytesOf(s.Labels))
	h.Write(bytesOf(s.Weights))
	return h.Sum32()
}

// cancelled reports whether ctx stops the fit: in a data-parallel fit,
// whether it is done on any process, so that all stop at the same step.
func (f *fit) cancelled(ctx context.Context) (bool, error) {
	if f.comm == nil {
		return ctx.Err() != nil, nil
	}
	return distributed.Any(f.comm, ctx.Err() != nil)
}

// why returns why a cancelled fit stopped: ctx.Err(), or context.Canceled
// on a process of a data-parallel fit whose own ctx goes on.
func why(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return context.Canceled
}

// The flags of the totals' Sums: set to 1 by a process that failed to read
// its totals, and by one whose failure was a loss that was not finite.
const (
	failedFlag = iota
	nonFiniteFlag
)

// totals returns the epoch's totals so far: in a data-parallel fit, summed
// over the processes (distributed.Sums), which fail together if one fails
// to read them. Where each reports a *NonFiniteError (a trainer that finds
// a loss that is not finite as it reads the totals: the same step on every
// process), each returns its own.
func (f *fit) totals() (Totals, error) {
	t, err := f.tr.Totals()
	if f.comm == nil {
		return t, err
	}
	s := distributed.NewSums[float64](3, 2)
	copy(s.Values(), []float64{t.Loss, float64(t.Correct), float64(t.Examples)})
	if err != nil {
		s.SetFlag(failedFlag, 1)
	}
	if nf := (*NonFiniteError)(nil); errors.As(err, &nf) {
		s.SetFlag(nonFiniteFlag, 1)
	}
	if err := s.AllReduce(f.comm); err != nil {
		return Totals{}, err
	}
	if s.Flag(nonFiniteFlag) == float64(f.comm.Size()) {
		return Totals{}, err
	}
	if s.Flag(failedFlag) > 0 {
		return Totals{}, distributed.Agree(f.comm, err)
	}
	sum := s.Values()
	return Totals{Loss: sum[0], Correct: int(sum[1]), Examples: int(sum[2])}, nil
}

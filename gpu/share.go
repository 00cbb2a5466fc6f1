//go:build cuda || cudaemu

package gpu

import (
	"context"
	"fmt"
	"time"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/distributed"
)

// A data-parallel step (ShareBatches) on the batch order[s:s+B] runs on
// this process's shard of it, distributed.Shard(rank, size, B), in graphs
// with the all-reduces of the gradients beside them:
//
//   - the gradient part, with the cursor at the shard's first row: the
//     gather of the shard's rows, the forward and backward passes into the
//     gradients (for every optimizer, plain SGD too), and share_gradients,
//     which weights them by the shard's share of the batch's rows, and
//     appends the shard's verdict on its losses, its first loss that is not
//     finite, or 0 (an empty shard's gradients are zeroes): the step's
//     distributed.Sums, laid out on the device. It runs in segments, one
//     graph each, each ending with share_gradients over the buckets of the
//     Sums it completes (buckets.go);
//   - the all-reduce of each bucket over the processes, queued after its
//     segment, which a gradientReducer runs: NCCL on the device, on a
//     second stream that waits for the segment's event while the next
//     segment computes, with no host synchronisation (share_cuda.go), or,
//     on the emulator, the Comm on the host (share_emu.go);
//   - the update part, after every bucket's all-reduce: flag_step keeps the
//     step's summed verdict, then optimizer_step and the cursor's advance
//     past the batch.
//
// Graphs with the all-reduces between them rather than one with them
// captured in it: NCCL supports stream capture only from 2.9 on, and the
// emulator's stand-in is a host call; a graph launch costs microseconds
// and serves every NCCL and the emulator alike.
//
// The losses and correct counts of the other processes' shards stay 0 on
// this one, so that epoch_totals sums its own shards' (Fit sums them over
// the processes), and Totals reports the first step whose flag is not 0 as
// an *engine.NonFiniteError on every process.

// stepSums is the length of a data-parallel step's distributed.Sums: the
// gradients of the nparams parameters, then the verdict on the shard's
// losses. t.optim.grads holds them on the device, in the trainer's dtype.
func (t *trainer) stepSums() int { return t.nparams + distributed.StepFlags }

// gradientReducer sums over the processes of a data-parallel fit the
// trainer's gradients with the verdict on their losses after them, the
// step's distributed.Sums at t.optim.grads.
type gradientReducer interface {
	// step runs one step in the reducer's segments (planSegments):
	// gradients(j), on the device's goroutine, queues segment j of the
	// step's first part, which leaves this process's values of the
	// segment's buckets in the buffer; step sums each bucket over the
	// processes after its segment; update, on the device's goroutine,
	// queues the rest of the step after every sum. Where the sums are
	// queued on the device (NCCL), step returns without waiting for them,
	// and a failure of a sum, such as a peer that died, shows only in poll.
	step(gradients func(seg int) error, update func() error) error
	// mark records, on the device's goroutine, the work queued so far as
	// mark i (of sumMarks), replacing what mark i recorded before.
	mark(i int) error
	// poll reports, on the device's goroutine, whether the work up to mark
	// i has finished, and the error of the sums queued so far (a peer that
	// died or left, a failure on the device), nil while all is well. It
	// does not wait.
	poll(i int) (bool, error)
	// close frees what the reducer holds on the device's goroutine: after
	// the sums queued so far or, when the fit failed, at once, aborting
	// the sums under way. It does nothing the second time.
	close(failed bool) error
}

const (
	// sumMarks are the reducer's marks: two that alternate every
	// sumWindow steps, so that at most 2·sumWindow steps are queued ahead
	// of the host, and drainMark, for all the work queued so far.
	sumMarks, drainMark = 3, 2
	// sumWindow is how many steps a data-parallel fit queues between two
	// marks.
	sumWindow = 32
	// sumPoll is how long the host sleeps between two polls of a mark.
	sumPoll = time.Millisecond
)

// sumLimit is how long a data-parallel fit waits for the work up to a mark
// (at most 2·sumWindow steps, or, at the totals, what was queued since the
// last window) before it gives the sums up: a peer that died where NCCL
// cannot tell, over a transport that never reports it, would otherwise
// hold the others for good.
var sumLimit = distributed.MinTimeout

// awaitMark waits until the work up to mark i has finished, polling the
// reducer every sumPoll, off the device's goroutine between polls. Where
// the sums fail (a peer died or left, the device failed) or take longer
// than sumLimit, it aborts the reducer's communicator, which ends the sums
// under way on this process's device, and returns the one error that
// says so: so every surviving process of the fit ends, soon after a peer
// died, with an error rather than waiting for it.
func (t *trainer) awaitMark(i int) error {
	start := time.Now()
	for {
		var done bool
		err := t.d.do(func() (err error) {
			done, err = t.share.reducer.poll(i)
			return err
		})
		if err == nil && done {
			return nil
		}
		if err == nil && time.Since(start) > sumLimit {
			err = fmt.Errorf("the sums of the gradients queued on the device did not finish within %v: a process of the fit may have died where the communicator cannot tell", sumLimit)
		}
		if err != nil {
			t.share.failed = true
			if aerr := t.d.do(func() error { return t.share.reducer.close(true) }); aerr != nil {
				return fmt.Errorf("gpu: a data-parallel step failed: %w; aborting the communicator failed too: %w", err, aerr)
			}
			return fmt.Errorf("gpu: a data-parallel step failed, and the communicator is aborted: %w", err)
		}
		time.Sleep(sumPoll)
	}
}

// markWindow marks the work queued so far every sumWindow steps, after
// waiting for the work up to the mark before the last, so that a fit
// queues at most 2·sumWindow steps ahead and sees a failed sum within that
// many steps.
func (t *trainer) markWindow() error {
	t.share.queued++
	if t.share.queued%sumWindow != 0 {
		return nil
	}
	i := t.share.queued / sumWindow % 2
	if t.share.queued >= 3*sumWindow {
		if err := t.awaitMark(i); err != nil {
			return err
		}
	}
	return t.d.do(func() error { return t.share.reducer.mark(i) })
}

// drain waits for all the work queued so far (awaitMark's errors).
func (t *trainer) drain() error {
	if err := t.d.do(func() error { return t.share.reducer.mark(drainMark) }); err != nil {
		return err
	}
	return t.awaitMark(drainMark)
}

// sharing is a data-parallel trainer's part of the fit.
type sharing struct {
	comm     distributed.Comm
	segments []segment // of the steps' gradient part, each followed by the all-reduces of its buckets
	reducer  gradientReducer
	flags    devicePtr // each step's flag this epoch (flag_step): perEpoch doubles
	rows     int       // the examples of this process's shards of the epoch's steps so far
	queued   int       // the steps queued since ShareBatches (markWindow)
	failed   bool      // a step or the totals failed: close drops the reducer's work
}

// ShareBatches makes the trainer's steps data parallel over c, as
// engine.Trainer says. The processes sum their gradients with
// NCCL on their GPUs (on the emulator, over c on the host), in buckets of
// the Hyper's BucketBytes, each as soon as the backward pass has produced
// it (buckets.go). Where NCCL is missing, its error wraps nccl.ErrNoNCCL.
func (t *trainer) ShareBatches(c distributed.Comm) error {
	sh := &sharing{comm: c, segments: planSegments(t.layers, t.stepSums(), t.dtype.Size(), t.bucketBytes)}
	err := t.d.do(func() (err error) {
		if t.fusedUpdate() { // prepareOptimizer allocated no gradients for plain SGD's fused update
			if t.optim.grads, err = t.mem.alloc(int64(t.stepSums()*t.dtype.Size()), "the gradients"); err != nil {
				return err
			}
		}
		sh.flags, err = t.mem.alloc(int64(8*t.optim.perEpoch), "the steps' flags")
		return err
	})
	if err = distributed.Agree(c, err); err != nil {
		return err
	}
	if sh.reducer, err = newReducer(t, c, sh.segments); err != nil {
		return err
	}
	t.share = sh
	return nil
}

// startSharedEpoch zeroes the epoch's losses, correct counts and flags, on
// the device's goroutine: a process writes its own shards' only.
func (t *trainer) startSharedEpoch(examples int) error {
	for _, buf := range []struct {
		p     devicePtr
		bytes int64
	}{{t.losses, int64(8 * examples)}, {t.correct, int64(4 * examples)}, {t.share.flags, int64(8 * t.optim.perEpoch)}} {
		if err := memsetD8(buf.p, 0, buf.bytes); err != nil {
			return fmt.Errorf("gpu: cuMemsetD8 of the epoch's losses and flags: %w", err)
		}
	}
	return nil
}

// sharedSteps runs the data-parallel steps over order[from:to]; start
// says whether they are the epoch's first.
func (t *trainer) sharedSteps(ctx context.Context, start bool, from, to int) (err error) {
	defer func() { t.share.failed = t.share.failed || err != nil }()
	if start {
		t.share.rows = 0
		if err := t.d.do(func() error {
			if err := t.startSharedEpoch(t.examples); err != nil {
				return err
			}
			return t.startEpoch(from)
		}); err != nil {
			return err
		}
	}
	rank, size := t.share.comm.Rank(), t.share.comm.Size()
	for s := from; s < to; s += t.batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows := min(t.batch, to-s)
		lo, hi := distributed.Shard(rank, size, rows)
		gradients := func(seg int) error {
			if seg == 0 {
				if err := t.drop.step(t.stack, rows, lo, hi); err != nil {
					return err
				}
				if err := t.seek(s + lo); err != nil {
					return err
				}
			}
			return t.runPart(graphKey{gradientPart, hi - lo, rows, seg}, func() error { return t.queueShardGradients(t.share.segments[seg], hi-lo, rows) })
		}
		update := func() error {
			t.batches.at = s + lo + rows
			return t.runPart(graphKey{updatePart, rows, rows, 0}, func() error { return t.queueSharedUpdate(rows) })
		}
		if err := t.share.reducer.step(gradients, update); err != nil {
			return err
		}
		if err := t.markWindow(); err != nil {
			return err
		}
		t.share.rows += hi - lo
		t.done = s + rows
		t.optim.steps++
	}
	return nil
}

// queueShardGradients queues segment seg of the gradient part of a
// data-parallel step on the shard of rows rows at the cursor's position
// (none: zero gradients) of a batch of batch rows: the forward pass in the
// first segment, the backward pass into the gradients of the segment's
// layers, and share_gradients over its buckets.
func (t *trainer) queueShardGradients(seg segment, rows, batch int) error {
	if rows > 0 {
		if seg.top == len(t.layers)-1 {
			if err := t.queueForward(rows); err != nil {
				return err
			}
		}
		if err := t.queueGradients(seg.top, seg.bottom, rows); err != nil {
			return err
		}
	}
	from, to := seg.span()
	return t.ks.shareGradients(flat(to-from), t.optim.grads, t.losses, t.batches.cursor, rows, batch, from, to, t.nparams)
}

// queueSharedUpdate queues the update part of a data-parallel step on a
// batch of rows rows: the step's flag, the optimizer's step and the
// cursor's advance past the batch.
func (t *trainer) queueSharedUpdate(rows int) error {
	if err := t.ks.flagStep(oneThread, t.share.flags, t.optim.grads, t.batches.cursor, t.batch, t.nparams); err != nil {
		return err
	}
	if err := t.clipGradients(); err != nil {
		return err
	}
	if err := t.optimizerStep(); err != nil {
		return err
	}
	return t.advance(rows)
}

// nonFinite returns, on the device's goroutine, the first step of the
// epoch's steps so far whose flag says a process's loss was not finite,
// or nil. The reducer's sums have finished (drain).
func (t *trainer) nonFinite() (*engine.NonFiniteError, error) {
	first, end := t.first/t.batch, blocks(t.done, t.batch)
	if first >= end {
		return nil, nil
	}
	flags := make([]float64, end-first)
	if err := memcpyDtoH(unsafe.Pointer(&flags[0]), t.share.flags+devicePtr(8*first), int64(8*len(flags))); err != nil {
		return nil, fmt.Errorf("gpu: cuMemcpyDtoH of the steps' flags: %w", err)
	}
	for i, f := range flags {
		if f != 0 {
			return &engine.NonFiniteError{Step: (first+i)*t.batch + 1, Loss: f}, nil
		}
	}
	return nil, nil
}

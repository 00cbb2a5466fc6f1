//go:build cuda || cudaemu

package gpu

import (
	"fmt"
	"math"

	"github.com/perceptron-go/perceptron/engine"
)

// recentRead reads the epoch's totals for the progress of an interactive
// fit without waiting for the device (RecentTotals): a copy of the device's
// totals into page-locked host memory, queued on the stream after the steps
// with an event after it, whose result is taken once the event has passed.
type recentRead struct {
	host     pinned        // the copy's 3 doubles (epoch_totals' layout)
	done     event         // recorded after the copy
	pending  bool          // a copy is queued whose event has not been seen to pass
	examples int           // the examples of the epoch the pending copy covers
	last     engine.Totals // the totals of the last copy that finished
}

// prepareRecent allocates the host buffer and the event of RecentTotals,
// on the device's goroutine.
func (t *trainer) prepareRecent() (err error) {
	if t.recent.host, err = allocPinned(24); err != nil {
		return fmt.Errorf("gpu: cuMemAllocHost(24 bytes) for the progress's totals: %w", err)
	}
	if t.recent.done, err = t.d.ctx.newEvent(); err != nil {
		freePinned(t.recent.host)
		return fmt.Errorf("gpu: cuEventCreate: %w", err)
	}
	return nil
}

// freeRecent frees what prepareRecent allocated, on the device's goroutine.
func (t *trainer) freeRecent() error {
	err := t.recent.done.destroy()
	if ferr := freePinned(t.recent.host); err == nil {
		err = ferr
	}
	return err
}

// RecentTotals returns the totals of the epoch's steps as of the last call
// whose copy the device has finished, without waiting for the device
// (engine.RecentTotaler): each call takes the result of the copy the call
// before it queued, if it has finished, and queues a copy of the totals of
// the steps queued since. Between an epoch's reads of its progress the
// device runs on, and the reads lag the steps by a call or two. A loss
// that is not finite in the copy is reported by Totals, which waits; so is
// a data-parallel trainer's (Fit reads its totals with Totals) and a grid
// barrier's timeout (at the next Totals, which the epoch's end calls).
func (t *trainer) RecentTotals() (engine.Totals, error) {
	if t.first < 0 || t.share != nil {
		return t.Totals()
	}
	r := &t.recent
	nonFinite := false
	err := t.d.do(func() error {
		if r.pending {
			done, err := r.done.query()
			if err != nil {
				return fmt.Errorf("gpu: cuEventQuery after the copy of the epoch's totals: %w", err)
			}
			if done {
				sums := (*[3]float64)(r.host)
				r.pending, nonFinite = false, !math.IsInf(sums[2], 1)
				if !nonFinite {
					r.last = engine.Totals{Loss: sums[0], Correct: int(sums[1]), Examples: r.examples}
				}
			}
		}
		if r.pending || nonFinite || t.summed == t.done {
			return nil
		}
		if err := t.ks.epochTotals(totalsConfig, t.totals, t.losses, t.correct, t.summed, t.done); err != nil {
			return err
		}
		t.summed = t.done
		if err := t.d.ctx.copyOut(r.host, t.totals, 24); err != nil {
			return fmt.Errorf("gpu: cuMemcpyDtoHAsync of the epoch's totals: %w", err)
		}
		if err := r.done.record(); err != nil {
			return fmt.Errorf("gpu: cuEventRecord after the copy of the epoch's totals: %w", err)
		}
		r.pending, r.examples = true, t.partial.Examples+t.done-t.first
		return nil
	})
	if err != nil {
		return engine.Totals{}, err
	}
	if nonFinite {
		return t.Totals()
	}
	return r.last, nil
}

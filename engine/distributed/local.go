package distributed

import (
	"fmt"
	"sync"
	"time"
)

// RunLocal runs f on size goroutines of this process, each with its own
// Comm of one group (the first has rank 0, and so on), and returns their
// results by rank once all have returned. Sums are taken in rank order, so
// every run gives the same bits. A collective whose processes disagree on
// the call or on the buffer's length returns an error on every process.
// Collectives wait under the default timeout (RunLocalTimeout with 0). It
// panics if size < 1.
func RunLocal[R any](size int, f func(c Comm) R) []R {
	return RunLocalTimeout(size, 0, f)
}

// RunLocalTimeout is RunLocal whose collectives give up after timeout (0:
// the default, 10 times the slowest step so far, at least MinTimeout; see
// TimeoutError): the first process to give up breaks the group, and every
// process waiting, or arriving later, returns a *TimeoutError naming the
// processes that had not arrived.
func RunLocalTimeout[R any](size int, timeout time.Duration, f func(c Comm) R) []R {
	if size < 1 {
		panic("distributed: RunLocal: size < 1")
	}
	g := &group{calls: make([]call, size), arrived: make([]bool, size), round: &round{done: make(chan struct{})}}
	out := make([]R, size)
	var wg sync.WaitGroup
	for i := range size {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = f(&local{rank: i, g: g, clock: newClock(timeout)})
		}()
	}
	wg.Wait()
	return out
}

// call is one process's part in a collective: its name, root and buffer.
type call struct {
	name string
	root int
	f64  []float64
	f32  []float32
	b    []byte
}

func (c call) len() int { return len(c.f64) + len(c.f32) + len(c.b) }

// round is one collective of a group: done is closed when it has ended,
// with err its outcome.
type round struct {
	done chan struct{}
	err  error
}

// group is the state the goroutines of RunLocal share: the calls of the
// collective in progress (round), which processes have arrived, and the
// timeout that broke the group, if one did.
type group struct {
	mu      sync.Mutex
	calls   []call
	arrived []bool
	count   int
	round   *round
	broken  *TimeoutError
}

// run takes part in a collective within limit: the last process to arrive
// checks that the calls match and computes the result into every buffer,
// while the others wait for it, or for their limit.
func (g *group) run(rank int, limit time.Duration, c call) error {
	g.mu.Lock()
	if g.broken != nil {
		g.mu.Unlock()
		return g.brokenFor(rank)
	}
	g.calls[rank], g.arrived[rank] = c, true
	r := g.round
	if g.count++; g.count == len(g.calls) {
		r.err = g.complete()
		g.next()
		g.mu.Unlock()
		return r.err
	}
	g.mu.Unlock()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-r.done:
		return g.outcome(rank, r)
	case <-timer.C:
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-r.done: // it ended as the timer fired
		return g.outcomeLocked(rank, r)
	default:
	}
	g.broken = &TimeoutError{Size: len(g.calls), Call: c.describe(), Limit: limit, Why: "did not arrive"}
	for p, in := range g.arrived {
		if !in {
			g.broken.Missing = append(g.broken.Missing, p)
		}
	}
	r.err = g.broken
	g.next()
	return g.brokenFor(rank)
}

// next ends the round under way, whose outcome is set, and starts another.
func (g *group) next() {
	close(g.round.done)
	g.round = &round{done: make(chan struct{})}
	g.count = 0
	clear(g.arrived)
}

// outcome returns what round r, which has ended, means for process rank.
func (g *group) outcome(rank int, r *round) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.outcomeLocked(rank, r)
}

func (g *group) outcomeLocked(rank int, r *round) error {
	if r.err == g.broken && g.broken != nil {
		return g.brokenFor(rank)
	}
	return r.err
}

// brokenFor returns the timeout that broke the group as process rank's.
func (g *group) brokenFor(rank int) error {
	e := *g.broken
	e.Rank = rank
	return &e
}

// describe names the collective c for a TimeoutError.
func (c call) describe() string {
	switch c.name {
	case "AllReduceFloat64":
		return allReduceOf(len(c.f64), "float64")
	case "AllReduceFloat32":
		return allReduceOf(len(c.f32), "float32")
	}
	return broadcastOf(len(c.b), c.root)
}

// complete computes the collective of the calls, which have all arrived.
func (g *group) complete() error {
	first := g.calls[0]
	for r, c := range g.calls {
		if c.name != first.name || c.len() != first.len() || c.root != first.root {
			return fmt.Errorf("distributed: mismatched collectives: process 0 called %s of %d values (root %d), process %d %s of %d (root %d)",
				first.name, first.len(), first.root, r, c.name, c.len(), c.root)
		}
	}
	switch first.name {
	case "AllReduceFloat64":
		sumInto(g.calls, func(c call) []float64 { return c.f64 })
	case "AllReduceFloat32":
		sumInto(g.calls, func(c call) []float32 { return c.f32 })
	case "Broadcast":
		if first.root < 0 || first.root >= len(g.calls) {
			return fmt.Errorf("distributed: broadcast from process %d of %d", first.root, len(g.calls))
		}
		for _, c := range g.calls {
			copy(c.b, g.calls[first.root].b)
		}
	}
	return nil
}

// sumInto sets every call's buffer to the sum of all of them, in rank order.
func sumInto[T Float](calls []call, buf func(call) []T) {
	sum := make([]T, len(buf(calls[0])))
	for _, c := range calls {
		for i, v := range buf(c) {
			sum[i] += v
		}
	}
	for _, c := range calls {
		copy(buf(c), sum)
	}
}

// local is the Comm of one goroutine of RunLocal. Its started all-reduces
// run on goroutines of their own, each after the one started before it
// (last): a blocking collective waits for them all.
type local struct {
	rank  int
	g     *group
	clock clock
	last  *localRequest
}

func (l *local) Rank() int { return l.rank }
func (l *local) Size() int { return len(l.g.calls) }

// run takes part in collective c within the limit of l's clock, after
// the all-reduces started before it.
func (l *local) run(c call) error {
	if l.last != nil {
		if err := l.last.Wait(); err != nil {
			return err
		}
	}
	err := l.g.run(l.rank, l.clock.enter(time.Now()), c)
	l.clock.leave(time.Now())
	return err
}

func (l *local) AllReduceFloat64(buf []float64) error {
	return l.run(call{name: "AllReduceFloat64", f64: buf})
}

func (l *local) AllReduceFloat32(buf []float32) error {
	return l.run(call{name: "AllReduceFloat32", f32: buf})
}

func (l *local) StartAllReduceFloat64(buf []float64) (Request, error) {
	return l.start(call{name: "AllReduceFloat64", f64: buf}), nil
}

func (l *local) StartAllReduceFloat32(buf []float32) (Request, error) {
	return l.start(call{name: "AllReduceFloat32", f32: buf}), nil
}

// start runs collective c on a goroutine, after the one started before,
// within the limit of l's clock from now.
func (l *local) start(c call) *localRequest {
	r := &localRequest{l: l, done: make(chan struct{})}
	before, limit := l.last, l.clock.enter(time.Now())
	l.last = r
	go func() {
		defer close(r.done)
		if before != nil {
			<-before.done
		}
		r.err = l.g.run(l.rank, limit, c)
	}()
	return r
}

// localRequest is an all-reduce that local started: done closes when
// it has completed, with err.
type localRequest struct {
	l    *local
	done chan struct{}
	err  error
}

func (r *localRequest) Test() (bool, error) {
	select {
	case <-r.done:
		r.finish()
		return true, r.err
	default:
		return false, nil
	}
}

func (r *localRequest) Wait() error {
	<-r.done
	r.finish()
	return r.err
}

// finish ends the request on its process's goroutine: the step the
// clock measures ends, and a blocking collective no longer waits for it.
func (r *localRequest) finish() {
	r.l.clock.leave(time.Now())
	if r.l.last == r {
		r.l.last = nil
	}
}

func (l *local) Broadcast(buf []byte, root int) error {
	return l.run(call{name: "Broadcast", root: root, b: buf})
}

// Close does nothing: the goroutines need no teardown.
func (*local) Close() error { return nil }

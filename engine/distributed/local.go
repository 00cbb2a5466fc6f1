package distributed

import (
	"fmt"
	"sync"
)

// RunLocal runs f on size goroutines of this process, each with its own
// Comm of one group (the first has rank 0, and so on), and returns their
// results by rank once all have returned. Sums are taken in rank order, so
// every run gives the same bits. A collective whose processes disagree on
// the call or on the buffer's length returns an error on every process. It
// panics if size < 1.
func RunLocal[R any](size int, f func(c Comm) R) []R {
	if size < 1 {
		panic("distributed: RunLocal: size < 1")
	}
	g := &group{calls: make([]call, size)}
	g.cond = sync.NewCond(&g.mu)
	out := make([]R, size)
	var wg sync.WaitGroup
	for i := range size {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = f(local{rank: i, g: g})
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

// group is the state the goroutines of RunLocal share: the calls of the
// collective in progress, how many have arrived, and its outcome.
type group struct {
	mu      sync.Mutex
	cond    *sync.Cond
	calls   []call
	arrived int
	gen     uint64 // counts the collectives completed
	err     error  // the outcome of the last one
}

// run takes part in a collective: the last process to arrive checks that
// the calls match and computes the result into every buffer, while the
// others wait.
func (g *group) run(rank int, c call) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls[rank] = c
	if g.arrived++; g.arrived < len(g.calls) {
		for gen := g.gen; gen == g.gen; {
			g.cond.Wait()
		}
		return g.err
	}
	g.err = g.complete()
	g.arrived, g.gen = 0, g.gen+1
	g.cond.Broadcast()
	return g.err
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

// local is the Comm of one goroutine of RunLocal.
type local struct {
	rank int
	g    *group
}

func (l local) Rank() int { return l.rank }
func (l local) Size() int { return len(l.g.calls) }

func (l local) AllReduceFloat64(buf []float64) error {
	return l.g.run(l.rank, call{name: "AllReduceFloat64", f64: buf})
}

func (l local) AllReduceFloat32(buf []float32) error {
	return l.g.run(l.rank, call{name: "AllReduceFloat32", f32: buf})
}

func (l local) Broadcast(buf []byte, root int) error {
	return l.g.run(l.rank, call{name: "Broadcast", root: root, b: buf})
}

// Close does nothing: the goroutines need no teardown.
func (local) Close() error { return nil }

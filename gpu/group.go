//go:build cuda || cudaemu

package gpu

import (
	"fmt"
	"slices"
	"sync"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
)

// Group trains many fits on one GPU in one launch: the fits whose
// per-example plan is a block of private layers in shared memory (sgd_fits;
// W1's 2-6-6-1, for one) run a block each in launches of sgd_fits, one per
// range of steps that their fits' Fit asks for at once. Each fit trains
// through a seat of the group (Seat), in its own goroutine, as engine.Fit
// trains it alone: a seat's trainer waits at each Steps until every seat
// still open has asked for steps or left, and the last to ask launches
// them all. A seat's fit gives the bits that the backend gives it alone:
// its block runs the code of its fit's launch alone, on its own
// parameters, order, rates and data. A fit of any other plan runs as it
// would alone and gives up its seat at once.
type Group struct {
	b     *Backend
	mu    sync.Mutex
	busy  int          // open seats that have not asked for steps
	calls []*groupCall // the steps asked for and not yet launched
	table devicePtr    // the launches' fits (sgdFit), room for size
	size  int
	last  []sgdFit // the fits the table holds: a launch of the same uploads none
	mem   memory
}

// groupCall is a seat's trainer's ask for the steps at positions from..to-1.
type groupCall struct {
	t        *trainer
	from, to int
	done     chan error
}

// Group returns a group of seats seats on b's GPU. Every seat must train
// or leave (Seat.Leave) for the others to run; Close frees it once every
// seat has left.
func (b *Backend) Group(seats int) *Group { return &Group{b: b, busy: seats} }

// Seat returns the backend through which one fit of the group trains. Each
// call takes one of the group's seats: there must be no more calls than
// seats.
func (g *Group) Seat() *Seat { return &Seat{Backend: g.b, g: g} }

// Close frees the group's table on the device.
func (g *Group) Close() error {
	d, err := g.b.device()
	if err != nil {
		return err
	}
	return d.do(g.mem.free)
}

// Seat is a fit's place in a Group: the group's backend, whose first
// trainer joins the group where its plan runs in sgd_fits and otherwise
// runs alone, the seat left.
type Seat struct {
	*Backend
	g     *Group
	mu    sync.Mutex
	taken bool   // a trainer has joined, or the seat has left
	alone string // why the seat's fit ran alone, where it did
}

var _ engine.Backend = (*Seat)(nil)

// NewTrainer is Backend.NewTrainer: the seat's first trainer whose plan is
// a block of sgd_fits (oneBlock) joins the group; the first of any other
// plan leaves the seat.
func (s *Seat) NewTrainer(net *engine.Network, data engine.Examples, h engine.Hyper) (engine.Trainer, error) {
	tr, err := s.Backend.NewTrainer(net, data, h)
	if err != nil {
		return nil, err
	}
	t := tr.(*trainer)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.taken {
		return t, nil
	}
	s.taken = true
	if s.alone = t.alone(); s.alone == "" {
		t.seat = s
	} else {
		s.g.leave()
	}
	return t, nil
}

// Alone says why the seat's fit trained alone rather than in the group's
// launches, once its trainer is made; "" if it joined the group.
func (s *Seat) Alone() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.alone
}

// Leave gives up the seat if no trainer holds it: a fit that failed before
// its trainer, or that ended. Later calls do nothing.
func (s *Seat) Leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.taken {
		s.taken = true
		s.g.leave()
	}
}

// alone says why the trainer's steps cannot run in sgd_fits, which a Group
// launches for many fits at once; "" where they can.
func (t *trainer) alone() string {
	switch {
	case !t.perExample():
		return "only per-example fits (--batch 1, no dropout, no clipping) train in one launch with others"
	case t.sparse.on:
		return "its plan is sparse_steps over the nonzero inputs, which trains one fit a launch"
	case !t.sgd.oneBlock():
		return fmt.Sprintf("its layers do not all fit one block's shared memory (%d bytes), which a fit needs to train in one launch with others", t.ks.sgdBudget)
	}
	return ""
}

// leave takes a seat out of the group for good, launching the steps that
// were waiting only for it.
func (g *Group) leave() {
	g.mu.Lock()
	g.busy--
	calls := g.ready()
	g.mu.Unlock()
	g.launch(calls)
}

// ready returns the calls to launch, and takes them, once every open seat
// has asked for steps. Its caller holds mu.
func (g *Group) ready() []*groupCall {
	if g.busy > 0 || len(g.calls) == 0 {
		return nil
	}
	calls := g.calls
	g.calls = nil
	g.busy = len(calls) // each seat is busy again once its steps are queued
	return calls
}

// steps queues the trainer's steps at positions from..to-1 with those of
// the group's other seats, waiting for them to ask for theirs.
func (g *Group) steps(t *trainer, from, to int) error {
	c := &groupCall{t: t, from: from, to: to, done: make(chan error, 1)}
	g.mu.Lock()
	g.calls = append(g.calls, c)
	g.busy--
	calls := g.ready()
	g.mu.Unlock()
	g.launch(calls)
	return <-c.done
}

// launch queues calls in launches of sgd_fits: one for each range of
// steps, block size and dtype among them (Fit's ranges are the same for
// fits of as many examples), its grid a block a fit, its shared memory the
// largest of theirs, and tells each call how its launch went.
func (g *Group) launch(calls []*groupCall) {
	type key struct {
		from, to, threads int
		dtype             engine.DType
	}
	var keys []key
	byKey := map[key][]*groupCall{}
	for _, c := range calls {
		k := key{c.from, c.to, c.t.sgd.threads, c.t.dtype}
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], c)
	}
	for _, k := range keys {
		cs := byKey[k]
		err := cs[0].t.d.do(func() error { return g.launchFits(cs) })
		for _, c := range cs {
			c.done <- err
		}
	}
}

// launchFits uploads the fits of calls, which share their range of steps,
// block size and dtype, and launches sgd_fits on them. It runs on the device's thread.
func (g *Group) launchFits(calls []*groupCall) error {
	if len(calls) > g.size {
		if err := g.mem.free(); err != nil {
			return err
		}
		g.size = 0
		var err error
		if g.table, err = g.mem.alloc(int64(len(calls)*sgdFitBytes), "the fits of sgd_fits"); err != nil {
			return err
		}
		g.size, g.last = len(calls), nil
	}
	fits := make([]sgdFit, len(calls))
	shared := 0
	for i, c := range calls {
		fits[i] = c.t.sgdFit()
		shared = max(shared, c.t.sgd.shared)
	}
	if !slices.Equal(fits, g.last) { // an upload waits for the launches before: most launches need none
		if err := memcpyHtoD(g.table, unsafe.Pointer(&fits[0]), int64(len(fits)*sgdFitBytes)); err != nil {
			return fmt.Errorf("gpu: cuMemcpyHtoD of the fits of sgd_fits: %w", err)
		}
		g.last = fits
	}
	cfg := launchConfig{grid: dim{len(calls), 1}, block: dim{calls[0].t.sgd.threads, 1}, shared: shared}
	return calls[0].t.ks.sgdFits(cfg, g.table, calls[0].from, calls[0].to)
}

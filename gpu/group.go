//go:build cuda || cudaemu

package gpu

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
)

// Group trains many fits on one GPU in one launch: the fits whose
// per-example plan runs a fit a block or a cluster (sgd_fits: a block of
// private layers in shared memory, W1's 2-6-6-1 for one; sparse_fits:
// sparse_steps' block; cluster_fits: cluster_steps' cluster, W2's on
// Hopper) run in launches of their kernel, one per kernel and range of
// steps that their fits' Fit asks for at once. Each fit trains through a
// seat of the group (Seat), in its own goroutine, as engine.Fit trains it
// alone: a seat's trainer waits at each Steps until every seat still open
// has asked for steps or left, and the last to ask launches them all. A
// seat's fit gives the bits that the backend gives it alone: its block (or
// cluster) runs the code of its fit's launch alone, on its own parameters,
// order, rates and data. A fit of any other plan runs as it would alone
// and gives up its seat at once.
type Group struct {
	b      *Backend
	mu     sync.Mutex
	busy   int          // open seats that have not asked for steps
	calls  []*groupCall // the steps asked for and not yet launched
	tables map[fitsKind]*fitsTable
}

// fitsTable is a table of fits on the device, for the launches of one
// kind of fits: room for size bytes, and the rows it holds (a launch of
// the same fits uploads none).
type fitsTable struct {
	ptr  devicePtr
	size int
	last []byte
	mem  memory
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
func (b *Backend) Group(seats int) *Group {
	return &Group{b: b, busy: seats, tables: map[fitsKind]*fitsTable{}}
}

// Seat returns the backend through which one fit of the group trains. Each
// call takes one of the group's seats: there must be no more calls than
// seats.
func (g *Group) Seat() *Seat { return &Seat{Backend: g.b, g: g} }

// Close frees the group's tables on the device.
func (g *Group) Close() error {
	d, err := g.b.device()
	if err != nil {
		return err
	}
	return d.do(func() error {
		var err error
		for _, tb := range g.tables {
			if ferr := tb.mem.free(); err == nil {
				err = ferr
			}
		}
		return err
	})
}

// Seat is a fit's place in a Group: the group's backend, whose first
// trainer joins the group where its plan runs a fit a block or a cluster
// (sgd_fits, sparse_fits, cluster_fits) and otherwise runs alone, the seat
// left.
type Seat struct {
	*Backend
	g     *Group
	mu    sync.Mutex
	taken bool   // a trainer has joined, or the seat has left
	alone string // why the seat's fit ran alone, where it did
}

var _ engine.Backend = (*Seat)(nil)

// NewTrainer is Backend.NewTrainer: the seat's first trainer whose plan
// runs in sgd_fits (oneBlock), sparse_fits or cluster_fits joins the
// group; the first of any other plan leaves the seat.
func (s *Seat) NewTrainer(net *engine.Network, data engine.Examples, h engine.Hyper) (engine.Trainer, error) {
	tr, err := s.Backend.NewTrainer(net, data, h)
	if err != nil {
		return nil, err
	}
	t := tr.(*trainer)
	s.join(t)
	return t, nil
}

// join makes t the seat's trainer, where it is the seat's first and its
// plan runs in one launch with others (alone), and otherwise, for the
// first, leaves the seat.
func (s *Seat) join(t *trainer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.taken {
		return
	}
	s.taken = true
	if s.alone = t.alone(); s.alone == "" {
		t.seat = s
	} else {
		s.g.leave()
	}
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

// alone says why the trainer's steps cannot run in sgd_fits, sparse_fits or
// cluster_fits, which a Group launches for many fits at once; "" where
// they can.
func (t *trainer) alone() string {
	switch {
	case !t.perExample():
		return "only per-example fits (--batch 1, no dropout, no clipping) train in one launch with others"
	case !t.sparse.on && !t.sgd.oneBlock():
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

// launch queues calls in launches of their kernels: one for each kind of
// fits (fitsKind: kernel, block, cluster and dtype) and range of steps among
// them (Fit's ranges are the same for fits of as many examples), its grid
// a block or cluster a fit, its shared memory the largest of theirs, and
// tells each call how its launch went. Fits of different kernels cannot
// share a launch (a kernel is its grid's code), so a round of fits of k
// kernels is k launches, one after another on the stream.
func (g *Group) launch(calls []*groupCall) {
	type key struct {
		kind     fitsKind
		from, to int
	}
	var keys []key
	byKey := map[key][]*groupCall{}
	for _, c := range calls {
		k := key{c.t.fitsKind(), c.from, c.to}
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], c)
	}
	for _, k := range keys {
		cs := byKey[k]
		err := cs[0].t.d.do(func() error { return g.launchFits(k.kind, cs) })
		for _, c := range cs {
			c.done <- err
		}
	}
}

// launchFits uploads the fits of calls, which share their kind and range of
// steps, into the kind's table, where they are not what it holds, and
// launches their kernel on them. It runs on the device's thread, as every
// use of the tables does.
func (g *Group) launchFits(kind fitsKind, calls []*groupCall) error {
	tb := g.tables[kind]
	if tb == nil {
		tb = &fitsTable{}
		g.tables[kind] = tb
	}
	var rows []byte
	shared := 0
	for _, c := range calls {
		rows = append(rows, c.t.fitRow()...)
		shared = max(shared, c.t.fitsShared())
	}
	if len(rows) > tb.size {
		if err := tb.mem.free(); err != nil {
			return err
		}
		tb.size = 0
		var err error
		if tb.ptr, err = tb.mem.alloc(int64(len(rows)), "the fits of "+calls[0].t.ks.name(kind.kernel)); err != nil {
			return err
		}
		tb.size, tb.last = len(rows), nil
	}
	if !bytes.Equal(rows, tb.last) { // an upload waits for the launches before: most launches need none
		if err := memcpyHtoD(tb.ptr, unsafe.Pointer(&rows[0]), int64(len(rows))); err != nil {
			return fmt.Errorf("gpu: cuMemcpyHtoD of the fits of %s: %w", calls[0].t.ks.name(kind.kernel), err)
		}
		tb.last = rows
	}
	return calls[0].t.ks.launchFits(kind, tb.ptr, len(calls), shared, calls[0].from, calls[0].to)
}

// fitsKind is what the fits of one launch of many share: the kernel that
// runs them (sgd_fits, sparse_fits or cluster_fits), a block's threads,
// the blocks of a fit (a cluster's; 1 but in cluster_fits) and the dtype.
type fitsKind struct {
	kernel          kernelID
	threads, blocks int
	dtype           engine.DType
}

// fitsKind is the kind of the trainer's fit, whose plan runs a fit a block
// or a cluster (oneBlock, or sparse.on).
func (t *trainer) fitsKind() fitsKind {
	switch {
	case t.sparse.cluster > 0:
		return fitsKind{kernelClusterFits, sparseThreads, t.sparse.cluster, t.dtype}
	case t.sparse.on:
		return fitsKind{kernelSparseFits, sparseThreads, 1, t.dtype}
	}
	return fitsKind{kernelSgdFits, t.sgd.threads, 1, t.dtype}
}

// fitsShared is the dynamic shared memory of a block of the trainer's fit.
func (t *trainer) fitsShared() int {
	if t.sparse.on {
		return t.sparse.shared
	}
	return t.sgd.shared
}

// fitRow is the trainer's fit as its kernel's table holds it: an sgdFit,
// or a sparseFit for sparse_fits and cluster_fits.
func (t *trainer) fitRow() []byte {
	if t.sparse.on {
		f := t.sparseFit()
		return slices.Clone(unsafe.Slice((*byte)(unsafe.Pointer(&f)), sparseFitBytes))
	}
	f := t.sgdFit()
	return slices.Clone(unsafe.Slice((*byte)(unsafe.Pointer(&f)), sgdFitBytes))
}

// launchFits launches kind's kernel on the n fits of table, on the
// positions from..to-1: a grid of a block, or a cluster, a fit, shared
// bytes of dynamic shared memory a block. A fit alone is a table of one.
func (ks *kernelSet) launchFits(kind fitsKind, table devicePtr, n, shared, from, to int) error {
	cfg := launchConfig{grid: dim{n * kind.blocks, 1}, block: dim{kind.threads, 1}, shared: shared}
	switch kind.kernel {
	case kernelClusterFits:
		cfg.cluster = kind.blocks
		return ks.clusterFits(cfg, table, from, to)
	case kernelSparseFits:
		return ks.sparseFits(cfg, table, from, to)
	}
	return ks.sgdFits(cfg, table, from, to)
}

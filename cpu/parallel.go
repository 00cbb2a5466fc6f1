package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// minParallelWork is the number of multiply-adds below which splitting an op
// across cores costs more in hand-offs than it saves.
const minParallelWork = 1 << 18

// rows is work split by rows: run computes rows lo..hi. Its split lives in
// the work's own (pooled) value, so that handing work over allocates nothing.
type rows interface {
	run(lo, hi int)
	split() *split
}

// split is the state of one parallelRows call: the cores take chunks of
// grain rows from next until there are none left, so that a core the
// operating system gives to another process holds up no more than one
// chunk; pending counts the workers not yet done.
type split struct {
	next    atomic.Int64
	pending atomic.Int64
	n       int64
	grain   int64
}

// take runs w's chunks until none is left.
func (s *split) take(w rows) {
	for {
		lo := s.next.Add(s.grain) - s.grain
		if lo >= s.n {
			return
		}
		w.run(int(lo), int(min(lo+s.grain, s.n)))
	}
}

// spinFor is how long an idle worker polls for work before it sleeps. A
// sleeping thread takes tens of microseconds to wake on a virtual machine,
// about what a mini-batch product of W3 at batch 64 takes: the products of
// a step, which come microseconds apart, must find their worker awake. (On
// the 2-core development machine, W3 at batch 64 on 2 threads went from
// 35,000 to 79,000 examples/s when the workers polled instead of sleeping.)
const spinFor = 200 * time.Microsecond

// worker is a goroutine, started on first use and kept for as long as the
// process lives, that helps with the work handed to it: work is published by
// bumping seq after writing it.
type worker struct {
	seq    atomic.Uint64
	work   rows
	asleep atomic.Bool
	wake   chan struct{} // a token for a worker that sleeps
}

// workers are GOMAXPROCS-1 workers; mu is held by the one parallelRows call
// that uses them (another, from another goroutine, runs on its own).
var workers struct {
	once sync.Once
	mu   sync.Mutex
	all  []*worker
}

func startWorkers() {
	for range runtime.GOMAXPROCS(0) - 1 {
		w := &worker{wake: make(chan struct{}, 1)}
		workers.all = append(workers.all, w)
		go w.loop()
	}
}

func (w *worker) loop() {
	var seen uint64
	for {
		seen = w.await(seen)
		s := w.work.split()
		s.take(w.work)
		s.pending.Add(-1)
	}
}

// await returns the sequence number of the next work after seen: it polls
// for spinFor, then sleeps until hand wakes it.
func (w *worker) await(seen uint64) uint64 {
	for {
		deadline := time.Now().Add(spinFor)
		for i := 1; ; i++ {
			if s := w.seq.Load(); s != seen {
				return s
			}
			if i%256 == 0 {
				if time.Now().After(deadline) {
					break
				}
				runtime.Gosched()
			}
		}
		w.asleep.Store(true)
		if s := w.seq.Load(); s != seen { // handed over before hand could see asleep
			w.asleep.Store(false)
			return s
		}
		<-w.wake
		w.asleep.Store(false)
	}
}

// hand gives w work to help with.
func (w *worker) hand(work rows) {
	w.work = work
	w.seq.Add(1)
	if w.asleep.Load() {
		select {
		case w.wake <- struct{}{}:
		default: // a token is already there
		}
	}
}

// parallelRows runs w on rows 0..n, in chunks shared among the cores, when
// work (multiply-adds) is large enough to pay and the workers are free;
// otherwise it runs w.run(0, n) on this goroutine. Which core runs a chunk
// changes nothing in the results.
func parallelRows(n, work int, w rows) {
	workers.once.Do(startWorkers)
	helpers := min(len(workers.all), runtime.GOMAXPROCS(0)-1, n-1)
	if helpers < 1 || work < minParallelWork || !workers.mu.TryLock() {
		w.run(0, n)
		return
	}
	defer workers.mu.Unlock()
	s := w.split()
	s.next.Store(0)
	s.n, s.grain = int64(n), int64(max(1, n/(4*(helpers+1))))
	s.pending.Store(int64(helpers))
	for _, h := range workers.all[:helpers] {
		h.hand(w)
	}
	s.take(w)
	for spun := 0; s.pending.Load() != 0; spun++ {
		if spun < 1000 {
			runtime.Gosched()
		} else { // a helper's core went to another process: let it have this one
			time.Sleep(10 * time.Microsecond)
		}
	}
}

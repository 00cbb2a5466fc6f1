package cpu

import (
	"runtime"
	"sync"
)

// minParallelWork is the number of multiply-adds below which splitting an op
// across cores costs more in hand-offs than it saves.
const minParallelWork = 1 << 18

// rows is work split by rows: run computes rows lo..hi. Its wait group
// counts the ranges handed to the workers; it lives in the work's own
// (pooled) value, so that handing work over allocates nothing.
type rows interface {
	run(lo, hi int)
	group() *sync.WaitGroup
}

// task is one range of rows for a worker.
type task struct {
	work   rows
	lo, hi int
}

// workers are GOMAXPROCS-1 goroutines, started on first use, that run the
// ranges sent to tasks for as long as the process lives.
var workers struct {
	once  sync.Once
	count int
	tasks chan task
}

func startWorkers() {
	workers.count = runtime.GOMAXPROCS(0) - 1
	workers.tasks = make(chan task)
	for range workers.count {
		go func() {
			for t := range workers.tasks {
				t.work.run(t.lo, t.hi)
				t.work.group().Done()
			}
		}()
	}
}

// parallelRows runs w on consecutive ranges covering rows 0..n, one per core,
// when work (multiply-adds) is large enough to pay; otherwise it runs w.run(0,
// n) on this goroutine.
func parallelRows(n, work int, w rows) {
	workers.once.Do(startWorkers)
	parts := min(workers.count+1, runtime.GOMAXPROCS(0), n)
	if parts < 2 || work < minParallelWork {
		w.run(0, n)
		return
	}
	wg := w.group()
	wg.Add(parts - 1)
	for k := 1; k < parts; k++ {
		workers.tasks <- task{w, k * n / parts, (k + 1) * n / parts}
	}
	w.run(0, n/parts)
	wg.Wait()
}

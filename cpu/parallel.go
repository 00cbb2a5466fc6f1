package cpu

import (
	"runtime"
	"sync"
)

// minParallelWork is the number of multiply-adds below which splitting an op
// across cores costs more in goroutine hand-offs than it saves.
const minParallelWork = 1 << 18

// parallelRows calls f on consecutive ranges [lo, hi) covering 0..n, one per
// core, when work (multiply-adds) is large enough to pay; otherwise it calls
// f(0, n) on this goroutine.
func parallelRows(n, work int, f func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers < 2 || work < minParallelWork {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for k := 1; k < workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(k*n/workers, (k+1)*n/workers)
		}()
	}
	f(0, n/workers)
	wg.Wait()
}

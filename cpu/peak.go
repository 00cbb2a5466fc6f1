package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// PeakFLOPS is the multiply-add throughput of a number of cores together,
// as Peak measures it.
type PeakFLOPS struct {
	// ISA names the registers measured: "avx512", "avx2", or "none" where
	// there are no assembly kernels (and the figures are 0).
	ISA string `json:"isa"`
	// Threads is the number of threads that ran the loops at once.
	Threads int `json:"threads"`
	// Float32 and Float64 are the floating-point operations a second (a
	// fused multiply-add counts 2) the threads reach together.
	Float32 float64 `json:"float32_flops"`
	Float64 float64 `json:"float64_flops"`
}

// peakIterations is the length of one run of a loop: about 0.1 ms.
const peakIterations = 1 << 15

// Peak measures the floating-point throughput of threads threads together:
// fused multiply-adds on the widest registers the kernels of this package
// use (AVX-512 where the CPU has it, else AVX2), twelve independent chains
// of them so that their latency is hidden, each thread locked to its OS
// thread. It is the yardstick of "close to the limit": the products of
// mini-batch SGD on that many threads reach at most this. Of each dtype it
// takes the best of runs rounds in which every thread runs the loop once
// (with 1 thread) or ten times, the threads starting together and the
// round ending when the last is done: about runs·0.2 ms in all with 1
// thread, runs·2 ms with more. threads must not exceed GOMAXPROCS.
//
// It is measured rather than multiplied from one core's because cores that
// a system reports need not have their own multiply-add units: on the
// development machine's virtual machine, 2 threads reach together what 1
// reaches alone.
func Peak(runs, threads int) PeakFLOPS {
	if !haveFMA {
		return PeakFLOPS{ISA: "none", Threads: threads}
	}
	p := PeakFLOPS{ISA: "avx2", Threads: threads}
	loop32, loop64, lanes := fmaLoopY32, fmaLoopY64, 8
	if haveAVX512 {
		p.ISA, loop32, loop64, lanes = "avx512", fmaLoopZ32, fmaLoopZ64, 16
	}
	p.Float32, p.Float64 = peakOf(loop32, lanes, runs, threads), peakOf(loop64, lanes/2, runs, threads)
	return p
}

// peakOf returns the best rate of runs rounds of loop (lanes values a
// register) on threads threads at once. The calling goroutine is one of
// them; the others spin between rounds, so that a round starts on every
// thread within nanoseconds (a sleeping thread takes tens of microseconds
// to wake on a virtual machine, a tenth of a round).
func peakOf(loop func(int), lanes, runs, threads int) float64 {
	reps := 1
	if threads > 1 {
		reps = 10 // rounds long enough that the threads overlap
	}
	var round, finished atomic.Int64
	var wg sync.WaitGroup
	for range threads - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for r := int64(1); r <= int64(runs); r++ {
				for round.Load() < r {
				}
				for range reps {
					loop(peakIterations)
				}
				finished.Add(1)
			}
		}()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	fastest := time.Duration(1 << 62)
	for r := int64(1); r <= int64(runs); r++ {
		start := time.Now()
		round.Store(r)
		for range reps {
			loop(peakIterations)
		}
		for finished.Load() < r*int64(threads-1) {
		}
		fastest = min(fastest, time.Since(start))
	}
	wg.Wait()
	return float64(threads*reps*peakIterations*12*lanes*2) / fastest.Seconds()
}

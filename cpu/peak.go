package cpu

import (
	"runtime"
	"time"
)

// PeakFLOPS is a core's multiply-add throughput, as Peak measures it.
type PeakFLOPS struct {
	// ISA names the registers measured: "avx512", "avx2", or "none" where
	// there are no assembly kernels (and the figures are 0).
	ISA string `json:"isa"`
	// Float32 and Float64 are the floating-point operations a second (a
	// fused multiply-add counts 2) one core reaches.
	Float32 float64 `json:"float32_flops"`
	Float64 float64 `json:"float64_flops"`
}

// peakIterations is the length of one measured run of a loop: about 0.1 ms.
const peakIterations = 1 << 15

// Peak measures the floating-point throughput of one core: fused
// multiply-adds on the widest registers the kernels of this package use
// (AVX-512 where the CPU has it, else AVX2), twelve independent chains of
// them so that their latency is hidden, the best of runs runs of each dtype.
// It is the yardstick of "close to the limit": the products of mini-batch
// SGD reach at most this. It runs on the calling goroutine's core, locked to
// its thread, for about runs·0.2 ms.
func Peak(runs int) PeakFLOPS {
	if !haveFMA {
		return PeakFLOPS{ISA: "none"}
	}
	p := PeakFLOPS{ISA: "avx2"}
	loop32, loop64, lanes := fmaLoopY32, fmaLoopY64, 8
	if haveAVX512 {
		p.ISA, loop32, loop64, lanes = "avx512", fmaLoopZ32, fmaLoopZ64, 16
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	best := func(loop func(int), lanes int) float64 {
		fastest := time.Duration(1 << 62)
		for range runs {
			start := time.Now()
			loop(peakIterations)
			fastest = min(fastest, time.Since(start))
		}
		return float64(peakIterations*12*lanes*2) / fastest.Seconds()
	}
	p.Float32, p.Float64 = best(loop32, lanes), best(loop64, lanes/2)
	return p
}

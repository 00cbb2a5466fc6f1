//go:build cuda || cudaemu

package gpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/backendtest"
)

// TestBackendClipping runs the suite's clipping checks: torch's
// clip_grad_norm_ and clip_grad_value_ goldens per example and in
// mini-batches with every optimizer, resuming bit for bit, and the
// data-parallel fits clipped by norm (on the emulator; a GPU skips them, as
// TestBackend's).
func TestBackendClipping(t *testing.T) {
	be := suiteBackend(newBackend(t))
	t.Run("Clipping", func(t *testing.T) { backendtest.Clipping(t, be) })
	t.Run("DataParallelClipping", func(t *testing.T) { backendtest.DataParallelClipping(t, be) })
	t.Run("ResumeClipping", func(t *testing.T) { backendtest.ResumeClipping(t, be) })
}

// blockSum is block_sum's CPU twin: the tree over a block's threads.
func blockSum(sums [threads]float64) float64 {
	for w := threads / 2; w > 0; w /= 2 {
		for t := range w {
			sums[t] += sums[t+w]
		}
	}
	return sums[0]
}

// clipNormSquares is clip_norm_squares' CPU twin: each of blocks blocks'
// sum of squares, each thread's with fma over its strided values.
func clipNormSquares(g []float64, blocks int) []float64 {
	partials := make([]float64, blocks)
	for b := range partials {
		var sums [threads]float64
		for t := range sums {
			for i := b*threads + t; i < len(g); i += blocks * threads {
				sums[t] = math.FMA(g[i], g[i], sums[t])
			}
		}
		partials[b] = blockSum(sums)
	}
	return partials
}

// clipScale is clip_scale's CPU twin: g scaled in T by
// maxNorm/(norm+1e-6), the norm from the partial sums, where that is below 1.
func clipScale[T engine.Float](g, partials []float64, maxNorm float64) []float64 {
	var sums [threads]float64
	copy(sums[:], partials)
	scale := maxNorm / (math.Sqrt(blockSum(sums)) + 1e-6)
	out := slices.Clone(g)
	if !(scale >= 1) {
		for i, x := range out {
			out[i] = float64(T(x) * T(scale))
		}
	}
	return out
}

// engineClip returns g clipped by engine.Clip in T, the reference.
func engineClip[T engine.Float](c engine.Clipping, g []float64) []float64 {
	gt := typed[T](g)
	engine.Clip(c, gt)
	return floats(gt)
}

// TestClipNormParity runs clip_norm_squares and clip_scale against their
// CPU twins, bit for bit, and against engine.Clip within rounding: one
// gradient, fewer than a block's, more than the most blocks hold in one
// stride, with norms that are clipped and one that is not; a gradient of
// +Inf makes the others 0 and itself NaN, as engine.Clip (and torch) do.
func TestClipNormParity(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, dtype := range dtypes {
		h := newHarness(t, dtype)
		for _, c := range []struct {
			n       int
			maxNorm float64
			inf     bool
		}{{1, 0.3, false}, {300, 0.5, false}, {300, 1e3, false}, {70_001, 2, false}, {300, 0.5, true}} {
			g := randoms(rng, c.n, dtype, min(c.n-1, 7)) // some zeros, but not the only gradient
			if c.n == 1 {
				g[0] = -0.75 // above the bound
			}
			if c.inf {
				g[5] = math.Inf(1)
			}
			b := clipBlocks(c.n)
			dg, dp := h.put(g), h.raw(8*b)
			h.run(func() error {
				if err := h.ks.clipNormSquares(launchConfig{grid: dim{b, 1}, block: dim{threads, 1}}, dp, dg, c.n); err != nil {
					return err
				}
				return h.ks.clipScale(flat(c.n), dg, dp, b, c.maxNorm, c.n)
			})
			what := fmt.Sprintf("%s, %d gradients, norm %g, +Inf %v", dtype, c.n, c.maxNorm, c.inf)
			partials := clipNormSquares(g, b)
			require.Equal(t, fmt.Sprint(partials), fmt.Sprint(h.doubles(dp, b)), "%s: the partial sums, as the twin's", what)
			want, ref := clipScale[float64](g, partials, c.maxNorm), engineClip[float64](engine.Clipping{Norm: c.maxNorm}, g)
			if dtype == engine.Float32 {
				want, ref = clipScale[float32](g, partials, c.maxNorm), engineClip[float32](engine.Clipping{Norm: c.maxNorm}, g)
			}
			got := h.get(dg, c.n)
			assert.Equal(t, fmt.Sprint(want), fmt.Sprint(got), "%s: as the twin", what)
			if c.inf {
				assert.Equal(t, fmt.Sprint(ref), fmt.Sprint(got), "%s: as engine.Clip", what)
				assert.True(t, math.IsNaN(got[5]), "%s: the +Inf gradient", what)
				continue
			}
			assertClose(t, ref, got, rel(dtype), what+": as engine.Clip")
			if c.maxNorm < 1e3 {
				assert.NotEqual(t, g, got, "%s: clipped", what)
			} else {
				assert.Equal(t, g, got, "%s: within the norm, unchanged", what)
			}
		}
	}
}

// TestClipValueParity clamps gradients, bounds, infinities and NaN
// included, as engine.Clip does, bit for bit.
func TestClipValueParity(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	const bound = 0.3
	for _, dtype := range dtypes {
		h := newHarness(t, dtype)
		g := append(randoms(rng, 600, dtype, 9), math.Inf(1), math.Inf(-1), math.NaN(), dtype.Round(bound), -dtype.Round(bound), 0.31, -0.29)
		n := len(g)
		dg := h.put(g)
		h.run(func() error { return h.ks.clipValue(flat(n), dg, bound, n) })
		want := engineClip[float64](engine.Clipping{Value: bound}, g)
		if dtype == engine.Float32 {
			want = engineClip[float32](engine.Clipping{Value: bound}, g)
		}
		got := h.get(dg, n)
		assert.Equal(t, fmt.Sprint(want), fmt.Sprint(got), "%s: as engine.Clip", dtype)
		assert.Equal(t, fmt.Sprint(dtype.Round(bound), -dtype.Round(bound), math.NaN()), fmt.Sprint(got[600], got[601], got[602]), "%s: ±Inf and NaN", dtype)
	}
}

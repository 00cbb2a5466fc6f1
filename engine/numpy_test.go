package engine_test

import (
	_ "embed"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
)

// numpyDraws are NumPy's legacy draws for several seeds, made by testdata/numpy_rng.py.
//
//go:embed testdata/numpy_rng.json
var numpyDraws []byte

func TestNumPyRNGMatchesNumPy(t *testing.T) {
	var cases []struct {
		Seed         uint32
		Uint32       []uint32
		RawSample    []float64 `json:"random_sample"`
		RawUniform   []float64 `json:"uniform"`
		RawNormal    []float64 `json:"normal"`
		Permutations [][]int
	}
	require.NoError(t, json.Unmarshal(numpyDraws, &cases))
	require.Len(t, cases, 6)
	for _, c := range cases {
		r := engine.NewNumPyRNG(c.Seed)
		for i, want := range c.Uint32 {
			require.Equal(t, want, r.Uint32(), "seed %d: uint32 %d", c.Seed, i)
		}
		r = engine.NewNumPyRNG(c.Seed)
		for i, want := range c.RawSample {
			require.Equal(t, want, r.Float64(), "seed %d: random_sample %d", c.Seed, i)
		}
		r = engine.NewNumPyRNG(c.Seed)
		for i, want := range c.RawUniform {
			lo, hi := -1.0, 1.0
			if i >= 12 {
				lo, hi = -0.5, 2
			}
			require.Equal(t, want, r.Uniform(lo, hi), "seed %d: uniform %d", c.Seed, i)
		}
		r = engine.NewNumPyRNG(c.Seed)
		for i, want := range c.RawNormal {
			if i == 7 {
				// A uniform draw between normals keeps the cached second normal.
				require.Equal(t, want, r.Uniform(0, 1), "seed %d: uniform between normals", c.Seed)
				continue
			}
			// Go's math.Log and C's log may differ in the last bit.
			require.InEpsilon(t, want, r.Normal(), 4e-16, "seed %d: normal sequence %d", c.Seed, i)
		}
		r = engine.NewNumPyRNG(c.Seed)
		for _, want := range c.Permutations {
			assert.Equal(t, want, r.Permutation(len(want)), "seed %d: permutation(%d)", c.Seed, len(want))
		}
	}
}

func TestNumPyShuffleComposes(t *testing.T) {
	a, b := engine.NewNumPyRNG(3), engine.NewNumPyRNG(3)
	order := []int{0, 1, 2, 3, 4, 5, 6, 7}
	a.Shuffle(order)
	a.Shuffle(order)
	p1, p2 := b.Permutation(8), b.Permutation(8)
	for i := range order {
		assert.Equal(t, p1[p2[i]], order[i], "order = order[p1][p2]")
	}
}

package backendtest

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// goldenJSON holds per-epoch losses of the course's NumPy code, made by
// testdata/golden.py, with the initial parameters and permutations it drew.
//
//go:embed testdata/golden.json
var goldenJSON []byte

type goldenCase struct {
	Name     string
	Features int
	Layers   string
	LR       float64
	Epochs   int
	X, Y     []float64
	Init     []struct{ W, B []float64 }
	Perms    [][]int
	Losses   []float64
}

// replay is an engine.RNG that applies recorded permutations, as the course
// does: order = order[perm] every epoch.
type replay struct {
	perms [][]int
	next  int
}

func (r *replay) Uniform(lo, hi float64) float64 { panic("backendtest: replay has no uniform draws") }
func (r *replay) Normal() float64                { panic("backendtest: replay has no normal draws") }
func (r *replay) MarshalBinary() ([]byte, error) { return []byte{byte(r.next)}, nil }
func (r *replay) UnmarshalBinary(b []byte) error {
	if len(b) != 1 {
		return errors.New("backendtest: replay state is one byte")
	}
	r.next = int(b[0])
	return nil
}
func (r *replay) Shuffle(order []int) {
	p := r.perms[r.next]
	r.next++
	prev := append([]int(nil), order...)
	for i, j := range p {
		order[i] = prev[j]
	}
}

// goldenTolerance is the relative difference allowed between the engine's
// epoch losses and NumPy's. The engine fuses sigmoid+bce into dz = ŷ - y and
// rounds the update as W += (-lr·dz)·x, where NumPy computes
// ((ŷ-y)/(ŷ(1-ŷ)))·ŷ(1-ŷ) and W -= lr·(dz·x): the last bits differ per step.
const goldenTolerance = 1e-9

// Golden starts from the NumPy run's initial parameters, replays its
// permutations, and compares every epoch's mean loss with NumPy's.
func Golden(t *testing.T, be engine.Backend) {
	var cases []goldenCase
	require.NoError(t, json.Unmarshal(goldenJSON, &cases))
	require.NotEmpty(t, cases)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			layers, err := engine.ParseLayers(c.Layers)
			require.NoError(t, err)
			net := engine.Zeros(engine.Spec{Inputs: c.Features, Layers: layers, Loss: engine.BCE, DType: engine.Float64})
			require.Len(t, c.Init, len(net.Layers))
			for i, p := range c.Init {
				require.Len(t, p.W, len(net.Layers[i].W))
				copy(net.Layers[i].W, p.W)
				copy(net.Layers[i].B, p.B)
			}
			set := dataset.New(c.X, c.Y, c.Features)
			hist, err := engine.Fit(context.Background(), net, set, engine.Config{Epochs: c.Epochs, LearningRate: c.LR, BatchSize: 1,
				RNG: &replay{perms: c.Perms}, Backend: be})
			require.NoError(t, err)
			AssertLosses(t, c.Losses, hist)
		})
	}
}

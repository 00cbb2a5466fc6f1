package backendtest

import (
	"context"
	_ "embed"
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// optimJSON holds runs of torch.optim made by testdata/optim.py: a small
// network trained from fixed weights in a recorded order with each
// optimizer and schedule, every step's loss and learning rate, and the
// final parameters and optimizer state.
//
//go:embed testdata/optim.json
var optimJSON []byte

type tensors []struct{ W, B []float64 }

type optimGolden struct {
	Features, Classes, Epochs int
	Layers                    string
	X                         []float64
	Labels                    []float64
	Perms                     [][]int
	Init                      tensors
	Cases                     []optimCase
}

// optimCase is a run of testdata/optim.py or clip.py.
type optimCase struct {
	Name                string
	Batch               int
	LR                  float64
	Schedule            string
	Warmup              int
	Optimizer           map[string]any
	ClipNorm, ClipValue float64
	Monitor             string
	Val                 [][2]float64 // each epoch's validation loss and accuracy
	Losses, Rates       []float64
	Final               tensors
	State               map[string]tensors
}

// optimTolerance is the relative difference allowed from torch.optim's
// float64 runs: the same formulas, rounded in another order.
const optimTolerance = 1e-10

// optimizerOf reads a case's optimizer as testdata/optim.py spells it.
func optimizerOf(t *testing.T, o map[string]any) engine.Optimizer {
	kind, err := engine.ParseOptimizer(o["optimizer"].(string))
	require.NoError(t, err)
	opt := engine.Optimizer{Kind: kind}
	num := func(k string) float64 { v, _ := o[k].(float64); return v }
	opt.Momentum, opt.WeightDecay, opt.Beta1, opt.Beta2, opt.Eps = num("momentum"), num("weight_decay"), num("beta1"), num("beta2"), num("eps")
	opt.Nesterov, _ = o["nesterov"].(bool)
	require.NoError(t, opt.Validate())
	return opt
}

// assertClose checks got against want within optimTolerance, relative to
// the larger of |want| and 1.
func assertClose(t *testing.T, want, got []float64, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i, w := range want {
		if math.Abs(got[i]-w) > optimTolerance*math.Max(math.Abs(w), 1) {
			t.Errorf("%s[%d]: got %.17g, torch %.17g", what, i, got[i], w)
			return
		}
	}
}

// assertParams checks a network's (or a state slot's) tensors against torch's.
func assertParams(t *testing.T, want tensors, net *engine.Network, what string) {
	t.Helper()
	require.Len(t, net.Layers, len(want))
	for l, p := range want {
		assertClose(t, p.W, net.Layers[l].W, what+" W"+string(rune('0'+l)))
		assertClose(t, p.B, net.Layers[l].B, what+" b"+string(rune('0'+l)))
	}
}

// Optimizers trains the network of testdata/optim.json with every
// optimizer and schedule and compares, with torch.optim's runs, each step's
// loss and learning rate (driving the trainer step by step) and, through
// Fit, each epoch's mean loss and the final parameters and optimizer state.
func Optimizers(t *testing.T, be engine.Backend) {
	g := loadOptim(t)
	for _, c := range g.Cases {
		t.Run(c.Name, func(t *testing.T) { g.check(t, be, c) })
	}
}

// optimRun is testdata/optim.json read, with its network and data.
type optimRun struct {
	optimGolden
	spec    engine.Spec
	initial *engine.Network
	set     *dataset.Set
	y       []float64
}

func loadOptim(t *testing.T) optimRun {
	var g optimRun
	require.NoError(t, json.Unmarshal(optimJSON, &g.optimGolden))
	layers, err := engine.ParseLayers(g.Layers)
	require.NoError(t, err)
	g.spec = engine.Spec{Inputs: g.Features, Layers: layers, Loss: engine.CE, DType: engine.Float64}
	g.initial = engine.Zeros(g.spec)
	for l, p := range g.Init {
		copy(g.initial.Layers[l].W, p.W)
		copy(g.initial.Layers[l].B, p.B)
	}
	g.set = dataset.New(g.X, g.Labels, g.Features)
	g.y, err = g.spec.Targets(g.set)
	require.NoError(t, err)
	return g
}

// check runs case c step by step and through Fit and compares it with torch's.
func (g optimRun) check(t *testing.T, be engine.Backend, c optimCase) {
	set, y, initial := g.set, g.y, g.initial
	opt := optimizerOf(t, c.Optimizer)
	sched, err := engine.ParseSchedule(c.Schedule)
	require.NoError(t, err)
	sched.WarmupEpochs = c.Warmup
	clip := engine.Clipping{Norm: c.ClipNorm, Value: c.ClipValue}
	perEpoch := (set.N + c.Batch - 1) / c.Batch
	total := g.Epochs * perEpoch
	rate := func(s int) float64 { return sched.Rate(c.LR, s, perEpoch, total) }

	net := initial.Clone()
	tr, err := be.NewTrainer(net, engine.Examples{X: set.X, Y: y, N: set.N, Features: set.Features, Outputs: g.Classes},
		engine.Hyper{LearningRate: c.LR, BatchSize: c.Batch, Optimizer: opt, Rate: rate, Clip: clip})
	require.NoError(t, err)
	defer tr.Close()
	order := make([]int, set.N)
	for i := range order {
		order[i] = i
	}
	rng := &replay{perms: g.Perms}
	var losses, rates []float64
	for epoch := 0; epoch < g.Epochs; epoch++ {
		rng.Shuffle(order)
		require.NoError(t, tr.BeginEpoch(order))
		var before float64
		for s := 0; s < set.N; s += c.Batch {
			rates = append(rates, rate(len(rates)))
			require.NoError(t, tr.Steps(context.Background(), s, min(s+c.Batch, set.N)))
			tot, err := tr.Totals()
			require.NoError(t, err)
			losses = append(losses, tot.Loss-before)
			before = tot.Loss
		}
	}
	assertClose(t, c.Rates, rates, "learning rate")
	assertClose(t, c.Losses, losses, "step loss")
	g.checkFit(t, be, c, engine.Config{Epochs: g.Epochs, LearningRate: c.LR, BatchSize: c.Batch, Optimizer: opt, Schedule: sched,
		Clip: clip, Backend: be, RNG: &replay{perms: g.Perms}})
}

// checkFit runs case c through Fit with cfg and compares each epoch's mean
// loss and learning rate (and validation figures, where c has them), the
// final parameters and the optimizer's state with torch's.
func (g optimRun) checkFit(t *testing.T, be engine.Backend, c optimCase, cfg engine.Config) {
	net := g.initial.Clone()
	var last *engine.Checkpoint
	cfg.Checkpoint = func(ck *engine.Checkpoint) error { last = ck; return nil }
	hist, err := engine.Fit(context.Background(), net, g.set, cfg)
	require.NoError(t, err)
	require.Len(t, hist, cfg.Epochs)
	perEpoch := (g.set.N + c.Batch - 1) / c.Batch
	for e, s := range hist {
		var sum float64
		for _, l := range c.Losses[e*perEpoch : (e+1)*perEpoch] {
			sum += l
		}
		assertClose(t, []float64{sum / float64(g.set.N)}, []float64{s.Loss}, "epoch loss")
		assertClose(t, []float64{c.Rates[(e+1)*perEpoch-1]}, []float64{s.LearningRate}, "epoch learning rate")
		if c.Val != nil {
			assertClose(t, c.Val[e][:], []float64{s.ValLoss, s.ValAccuracy}, "validation loss and accuracy")
		}
	}
	assertParams(t, c.Final, net, "final")
	require.NotNil(t, last, "a checkpoint after the last epoch")
	names := cfg.Optimizer.SlotNames()
	require.Len(t, last.State, len(names))
	require.Len(t, c.State, len(names))
	for k, name := range names {
		assertParams(t, c.State[name], last.State[k], name)
	}
}

package backendtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/distributed"
)

// parallelTolerance is how far, relative to the largest parameter, a
// data-parallel fit's parameters may be from one process's: its gradients
// are summed in another order.
var parallelTolerance = map[engine.DType]float64{engine.Float64: 1e-12, engine.Float32: 1e-5}

// closeNetworks requires the parameters of got to be within tol of want's,
// relative to want's largest.
func closeNetworks(t *testing.T, want, got *engine.Network, tol float64, what string) {
	t.Helper()
	var scale, worst float64
	for l := range want.Layers {
		for _, p := range [][2][]float64{{want.Layers[l].W, got.Layers[l].W}, {want.Layers[l].B, got.Layers[l].B}} {
			for i, w := range p[0] {
				scale = max(scale, math.Abs(w))
				worst = max(worst, math.Abs(w-p[1][i]))
			}
		}
	}
	require.LessOrEqual(t, worst, tol*scale, "%s: the largest difference of a parameter, against the largest parameter %g", what, scale)
}

// closeHistories requires the losses of two histories to be within rel of
// each other, their accuracies within a point and their learning rates
// equal.
func closeHistories(t *testing.T, want, got engine.History, rel float64, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i, w := range want {
		g := got[i]
		for _, l := range [][2]float64{{w.Loss, g.Loss}, {w.ValLoss, g.ValLoss}} {
			require.InDelta(t, l[0], l[1], rel*math.Abs(l[0]), "%s: epoch %d: %+v, %+v", what, w.Epoch, w, g)
		}
		for _, a := range [][2]float64{{w.TrainAccuracy, g.TrainAccuracy}, {w.ValAccuracy, g.ValAccuracy}} {
			require.InDelta(t, a[0], a[1], 0.01, "%s: epoch %d: %+v, %+v", what, w.Epoch, w, g)
		}
		require.Equal(t, w.LearningRate, g.LearningRate, "%s: epoch %d", what, w.Epoch)
	}
}

// parallelFit is a fit of a small network on 250 moons, which batches of 16
// leave a last batch of 10 that 3 processes share unevenly.
type parallelFit struct {
	train, val *dataset.Set
	spec       engine.Spec
	cfg        engine.Config
}

func newParallelFit(t *testing.T, be engine.Backend, dtype engine.DType, opt engine.Optimizer) parallelFit {
	all, err := dataset.Synthetic("moons", 350, -1, 7)
	require.NoError(t, err)
	train, val, err := all.Split(100.0/350, 7)
	require.NoError(t, err)
	require.Equal(t, 250, train.N)
	cfg := engine.Config{Epochs: 3, LearningRate: 0.05, BatchSize: 16, Optimizer: opt, Backend: be, Validation: val,
		EarlyStop: &engine.EarlyStopping{Patience: 10}}
	if !opt.Plain() {
		cfg.Schedule = engine.Schedule{Kind: engine.Cosine, WarmupEpochs: 1}
	}
	spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 8, Activation: engine.Tanh}, {Units: 6, Activation: engine.ReLU},
		{Units: 1, Activation: engine.Sigmoid}}, Loss: engine.BCE, DType: dtype}
	return parallelFit{train, val, spec, cfg}
}

// run runs the fit on the processes of comm (nil: alone) and returns the
// network and history it ends with.
func (p parallelFit) run(t *testing.T, ctx context.Context, comm distributed.Comm, cfg engine.Config) (*engine.Network, engine.History, error) {
	rng := engine.NewRNG(3)
	net, err := engine.NewNetwork(p.spec, engine.InitAuto, rng)
	require.NoError(t, err)
	cfg.RNG, cfg.Comm = rng, comm
	if cfg.EarlyStop != nil {
		cfg.EarlyStop = &engine.EarlyStopping{Patience: cfg.EarlyStop.Patience}
	}
	hist, err := engine.Fit(ctx, net, p.train, cfg)
	return net, hist, err
}

// outcome is what one process's fit ended with.
type outcome struct {
	net  *engine.Network
	hist engine.History
	err  error
}

// runParallel runs the fit on size processes.
func (p parallelFit) runParallel(t *testing.T, size int, cfg engine.Config, ctx func(rank int) context.Context) []outcome {
	return distributed.RunLocal(size, func(c distributed.Comm) outcome {
		net, hist, err := p.run(t, ctx(c.Rank()), c, cfg)
		return outcome{net, hist, err}
	})
}

func background(int) context.Context { return context.Background() }

// SharedDevice is a backend whose processes of a data-parallel fit need a
// device each, which the goroutines that DataParallel runs as processes,
// sharing the backend, do not have: the CUDA backend on a GPU, whose NCCL
// refuses two ranks on one GPU. DataParallel skips its fits on several
// processes, giving SharedDevice's reason, and runs the rest.
type SharedDevice interface {
	SharedDevice() string
}

// skipShared skips t where be is a SharedDevice.
func skipShared(t *testing.T, be engine.Backend) {
	if s, ok := be.(SharedDevice); ok {
		t.Skip(s.SharedDevice())
	}
}

// parallelRuns are the processes and the all-reduce's bucket sizes, in
// bytes, of DataParallel's fits of newParallelFit's network (85
// parameters, in layers of 24, 54 and 7): one bucket holding everything
// (0, the default), buckets of one value (smaller than any layer, the
// verdict alone in the first), and of 100 bytes (12 float64 or 25 float32
// values: parts of layers, and buckets across two).
var parallelRuns = []struct{ size, bucket int }{{2, 0}, {2, 1}, {3, 0}, {3, 100}}

// DataParallel runs fits data parallel on 2 and 3 processes (goroutines
// joined by distributed.RunLocal), with all-reduce buckets of several
// sizes (parallelRuns), with every optimizer, a schedule,
// validation and early stopping, in float64 and float32, with batches that
// 3 processes share unevenly, and checks that every process ends with the
// same parameters, bit for bit, and that they and the history are those of
// the same fit on one process, to rounding: 1e-12 of the largest parameter
// in float64, 1e-5 in float32. It stops one such fit within an epoch by
// cancelling one process's context, and resumes it on another number of
// processes. On a SharedDevice (the CUDA backend on a GPU) the fits of
// several processes skip; the CUDA backend's run here on its emulator, which
// sums the gradients on the host.
func DataParallel(t *testing.T, be engine.Backend) {
	for _, dtype := range []engine.DType{engine.Float64, engine.Float32} {
		for _, opt := range resumeOptimizers {
			p := newParallelFit(t, be, dtype, opt)
			want, wantHist, err := p.run(t, context.Background(), nil, p.cfg)
			require.NoError(t, err)
			for _, run := range parallelRuns {
				t.Run(fmt.Sprintf("%s/%s/momentum%g/%dprocesses/buckets%dB", dtype, opt.Kind, opt.Momentum, run.size, run.bucket), func(t *testing.T) {
					skipShared(t, be)
					cfg := p.cfg
					cfg.BucketBytes = run.bucket
					outs := p.runParallel(t, run.size, cfg, background)
					for rank, o := range outs {
						require.NoError(t, o.err, "rank %d", rank)
						sameNetworks(t, outs[0].net, o.net, fmt.Sprintf("rank %d against rank 0", rank))
					}
					closeNetworks(t, want, outs[0].net, parallelTolerance[dtype], "data parallel against one process")
					closeHistories(t, wantHist, outs[0].hist, 100*parallelTolerance[dtype], "data parallel against one process")
				})
			}
		}
	}
	t.Run("resume on another number of processes", func(t *testing.T) { dataParallelResume(t, be) })
	t.Run("non-finite loss", func(t *testing.T) { dataParallelNonFinite(t, be) })
	t.Run("fails together", func(t *testing.T) { dataParallelFailsTogether(t, be) })
}

// dataParallelResume stops a fit on 2 processes within its second epoch,
// as a signal to one process does, and resumes it from process 0's
// checkpoint on 3 processes and on one: each ends as the fit never stopped.
func dataParallelResume(t *testing.T, be engine.Backend) {
	skipShared(t, be)
	p := newParallelFit(t, be, engine.Float64, engine.DefaultOptimizer(engine.Adam))
	want, wantHist, err := p.run(t, context.Background(), nil, p.cfg)
	require.NoError(t, err)

	stopped, stop := context.WithCancel(context.Background())
	defer stop()
	var mu sync.Mutex
	var cks []*engine.Checkpoint
	cfg := p.cfg
	cfg.CheckpointEvery, cfg.BucketBytes = 1, 24 // buckets of 3 values
	cfg.Progress = func(pr engine.Progress) {
		if pr.Epoch == 2 && pr.Done > 100 {
			stop() // process 1's context: every process stops at the same step
		}
	}
	cfg.Checkpoint = func(ck *engine.Checkpoint) error {
		mu.Lock()
		defer mu.Unlock()
		cks = append(cks, ck)
		return nil
	}
	outs := p.runParallel(t, 2, cfg, func(rank int) context.Context {
		if rank == 1 {
			return stopped
		}
		return context.Background()
	})
	for rank, o := range outs {
		require.ErrorIs(t, o.err, context.Canceled, "rank %d", rank)
		assert.Len(t, o.hist, 1, "rank %d: one epoch finished", rank)
	}
	require.Len(t, cks, 2, "process 0 alone writes the checkpoints: after epoch 1 and at the stop")
	ck := cks[1]
	require.Equal(t, 1, ck.Epoch)
	require.Greater(t, ck.Done, 100)
	require.Less(t, ck.Done, p.train.N)

	for _, size := range []int{3, 1} {
		resumed := p.cfg
		resumed.Resume = ck
		var nets []*engine.Network
		var hists []engine.History
		for _, o := range p.runParallel(t, size, resumed, background) {
			require.NoError(t, o.err)
			nets, hists = append(nets, o.net), append(hists, o.hist)
		}
		closeNetworks(t, want, nets[size-1], parallelTolerance[engine.Float64], fmt.Sprintf("resumed on %d processes", size))
		closeHistories(t, wantHist, hists[size-1], 100*parallelTolerance[engine.Float64], fmt.Sprintf("resumed on %d processes", size))
	}
}

// dataParallelNonFinite drives a regression to overflow: every process
// stops with the NonFiniteError of one process's fit, at the same step,
// whichever process's shard held the example.
func dataParallelNonFinite(t *testing.T, be engine.Backend) {
	skipShared(t, be)
	set := dataset.New([]float64{100, -200, 300, -400, 1, 2}, []float64{1, 2, 3, 4, 5, 6}, 1)
	spec := engine.Spec{Inputs: 1, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Linear}}, Loss: engine.MSE, DType: engine.Float64}
	cfg := engine.Config{Epochs: 100, LearningRate: 10, BatchSize: 4, Backend: be}
	run := func(c distributed.Comm) error {
		net, err := engine.NewNetwork(spec, engine.InitXavier, engine.NewRNG(1))
		require.NoError(t, err)
		cfg := cfg
		cfg.RNG, cfg.Comm = engine.NewRNG(2), c
		_, err = engine.Fit(context.Background(), net, set, cfg)
		return err
	}
	var want *engine.NonFiniteError
	require.True(t, errors.As(run(nil), &want))
	for _, bucket := range []int{0, 8} { // one bucket; the verdict alone in the first of two
		cfg.BucketBytes = bucket
		for rank, err := range distributed.RunLocal(3, run) {
			var got *engine.NonFiniteError
			require.True(t, errors.As(err, &got), "buckets of %d bytes, rank %d: %v", bucket, rank, err)
			assert.Equal(t, [2]int{want.Epoch, want.Step}, [2]int{got.Epoch, got.Step}, "buckets of %d bytes, rank %d: %v", bucket, rank, err)
		}
	}
}

// dataParallelFailsTogether gives one process of two a fit that cannot
// start, or that is not process 0's: both fail, naming that process and
// the cause (each setting that differs, with both values).
func dataParallelFailsTogether(t *testing.T, be engine.Backend) {
	p := newParallelFit(t, be, engine.Float64, engine.Optimizer{})
	other := *p.train
	other.X = append([]float64(nil), p.train.X...)
	other.X[17] += 1e-9
	threeFeatures := dataset.New(make([]float64, 3*p.train.N), p.train.Labels, 3)
	for _, c := range []struct {
		name  string
		train *dataset.Set
		want  string
	}{
		{"bad input", threeFeatures, "process 1 of 2: the data has 3 features per example but the network takes 2 inputs"},
		{"other data", &other, "process 1 of 2: the data-parallel fit differs from process 0's: the training data: process 0 has 250 examples (crc32c "},
	} {
		t.Run(c.name, func(t *testing.T) {
			errs := distributed.RunLocal(2, func(comm distributed.Comm) error {
				q := p
				if comm.Rank() == 1 {
					q.train = c.train
				}
				_, _, err := q.run(t, context.Background(), comm, p.cfg)
				return err
			})
			require.Error(t, errs[1])
			assert.ErrorContains(t, errs[0], c.want)
		})
	}
	t.Run("other settings", func(t *testing.T) {
		errs := distributed.RunLocal(2, func(comm distributed.Comm) error {
			cfg := p.cfg
			if comm.Rank() == 1 {
				cfg.LearningRate, cfg.Epochs, cfg.BucketBytes = 2*cfg.LearningRate, cfg.Epochs+1, 1<<20
			}
			_, _, err := p.run(t, context.Background(), comm, cfg)
			return err
		})
		require.Error(t, errs[1])
		assert.EqualError(t, errs[0], fmt.Sprintf("process 1 of 2: the data-parallel fit differs from process 0's: the epochs: process 0 has %d, process 1 has %d; "+
			"the learning rate: process 0 has %g, process 1 has %g; the all-reduce's buckets: process 0 has 0 bytes, process 1 has 1048576 bytes",
			p.cfg.Epochs, p.cfg.Epochs+1, p.cfg.LearningRate, 2*p.cfg.LearningRate), "only the settings that differ, with both values")
	})
	t.Run("batch of one", func(t *testing.T) {
		cfg := p.cfg
		cfg.BatchSize = 1
		errs := distributed.RunLocal(2, func(comm distributed.Comm) error {
			_, _, err := p.run(t, context.Background(), comm, cfg)
			return err
		})
		assert.EqualError(t, errs[0], "per-example SGD (batch size 1) is sequential: it cannot be shared among 2 processes; "+
			"train in mini-batches of at least 2 examples, such as 64 (the global batch, of which each process takes its share)")
		assert.EqualError(t, errs[1], "process 0 of 2: "+errs[0].Error())
	})
}

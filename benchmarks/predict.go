package benchmarks

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/perceptron-go/perceptron/engine"
)

// PredictBatch is the batch whose throughput MeasurePredictor reports.
const PredictBatch = 10_000

// PredictResult is a Predictor's speed on a workload's network: the
// latency of one row at batch 1 and the rows per second of a batch of
// PredictBatch rows, on the threads GOMAXPROCS allows.
type PredictResult struct {
	Workload     string  `json:"workload"`
	Backend      string  `json:"backend"`
	Device       string  `json:"device"`
	DType        string  `json:"dtype"`
	Threads      int     `json:"threads"`
	MicrosPerRow float64 `json:"batch1_us_per_row"`
	RowsPerSec   float64 `json:"batch10000_rows_per_s"`
}

// PredictorFor returns a Predictor of w's network in dtype on be, its
// parameters drawn from seed 1 (their values do not change the work), and
// PredictBatch rows of inputs in [0, 1), as MNIST's pixels are.
func PredictorFor(be engine.Backend, w Workload, dtype engine.DType) (*engine.Predictor, []float32, error) {
	layers, err := engine.ParseLayers(w.Layers)
	if err != nil {
		return nil, nil, err
	}
	inputs := 784
	if w.Data == "moons" {
		inputs = 2
	}
	net, err := engine.NewNetwork(engine.Spec{Inputs: inputs, Layers: layers, Loss: w.Loss, DType: dtype}, engine.InitAuto, engine.NewRNG(1))
	if err != nil {
		return nil, nil, err
	}
	p, err := engine.NewPredictor(be, net, engine.Preprocessing{})
	if err != nil {
		return nil, nil, err
	}
	rng := rand.New(rand.NewPCG(2, 3))
	x := make([]float32, PredictBatch*inputs)
	for i := range x {
		x[i] = rng.Float32()
	}
	return p, x, nil
}

// MeasurePredictor measures w's Predictor in float32 calls (PredictInto32)
// for about budget at each batch size: at batch 1 over the rows in turn,
// and on the batch of PredictBatch rows, the best of its runs.
func MeasurePredictor(be engine.Backend, w Workload, dtype engine.DType, threads int, budget time.Duration) (PredictResult, error) {
	p, x, err := PredictorFor(be, w, dtype)
	if err != nil {
		return PredictResult{}, err
	}
	defer p.Close()
	in, k := p.Inputs(), p.Outputs()
	out := make([]float32, PredictBatch*k)
	r := PredictResult{Workload: w.ID, Backend: be.Name(), Device: be.Device(), DType: dtype.String(), Threads: threads}
	calls, start := 0, time.Now()
	for time.Since(start) < budget || calls < 100 {
		for i := 0; i < 100; i++ {
			row := (calls + i) % PredictBatch
			if err := p.PredictInto32(out[:k], x[row*in:(row+1)*in]); err != nil {
				return r, fmt.Errorf("%s at batch 1: %w", w.ID, err)
			}
		}
		calls += 100
	}
	r.MicrosPerRow = time.Since(start).Seconds() * 1e6 / float64(calls)
	best, spent := time.Duration(1<<62), time.Duration(0)
	for runs := 0; spent < budget || runs < 3; runs++ {
		t := time.Now()
		if err := p.PredictInto32(out, x); err != nil {
			return r, fmt.Errorf("%s at batch %d: %w", w.ID, PredictBatch, err)
		}
		d := time.Since(t)
		best, spent = min(best, d), spent+d
	}
	r.RowsPerSec = PredictBatch / best.Seconds()
	return r, nil
}

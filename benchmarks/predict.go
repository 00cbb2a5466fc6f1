package benchmarks

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/perceptron-go/perceptron/engine"
)

// PredictBatch is the batch whose throughput MeasurePredictor reports.
const PredictBatch = 10_000

// Batch1Rows is how many rows, the first of the inputs, the batch-1
// measure takes in turn: each call gets another row, as a server's would,
// from a set that fits the L3 cache but not the L2 (3 MB of MNIST rows).
const Batch1Rows = 1_000

// PredictResult is a Predictor's speed on a workload's network: the
// latency of one row at batch 1 and the rows per second of a batch of
// PredictBatch rows (or of all the inputs given), on the threads GOMAXPROCS
// allows.
type PredictResult struct {
	Workload     string  `json:"workload"`
	Backend      string  `json:"backend"`
	Device       string  `json:"device"`
	DType        string  `json:"dtype"`
	Threads      int     `json:"threads"`
	Inputs       string  `json:"inputs"`
	MicrosPerRow float64 `json:"batch1_us_per_row"`
	Batch        int     `json:"batch"`
	RowsPerSec   float64 `json:"rows_per_s"`
}

// PredictorFor returns a Predictor of w's network in dtype on be, its
// parameters drawn from seed 1 (their values do not change the work), and
// PredictBatch rows of inputs in [0, 1), as MNIST's pixels are, none 0.
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
	return p, DenseRows(PredictBatch, inputs), nil
}

// DenseRows returns n rows of inputs values drawn uniformly from (0, 1)
// (seeded): rows with no zeros, the dense case.
func DenseRows(n, inputs int) []float32 {
	rng := rand.New(rand.NewPCG(2, 3))
	x := make([]float32, n*inputs)
	for i := range x {
		x[i] = max(rng.Float32(), 1e-6)
	}
	return x
}

// ReadRows reads rows of inputs float32 values from path, as raw
// little-endian float32s one row after another (the format
// benchmarks/onnx/rows.js writes for both runtimes to read).
func ReadRows(path string, inputs int) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	row := 4 * inputs
	if len(b) == 0 || len(b)%row != 0 {
		return nil, fmt.Errorf("%s: %d bytes are not whole rows of %d float32 inputs (%d bytes each); expected raw little-endian float32s, as benchmarks/onnx/rows.js writes", path, len(b), inputs, row)
	}
	x := make([]float32, len(b)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return x, nil
}

// MeasurePredictor measures w's Predictor (drawn weights, dense rows; see
// PredictorFor) as MeasureRows does.
func MeasurePredictor(be engine.Backend, w Workload, dtype engine.DType, threads int, budget time.Duration) (PredictResult, error) {
	p, x, err := PredictorFor(be, w, dtype)
	if err != nil {
		return PredictResult{}, err
	}
	defer p.Close()
	r := PredictResult{Workload: w.ID, Backend: be.Name(), Device: be.Device(), DType: dtype.String(), Threads: threads, Inputs: "dense"}
	return r, MeasureRows(&r, p, x, budget)
}

// MeasureRows measures p in float32 calls (PredictInto32) on the rows of x
// and sets r's figures: at batch 1 for about budget, over the first
// Batch1Rows rows in turn (µs per row, the mean), then on all the rows in
// one call, the median of at least 5 runs after one to warm up (rows/s).
func MeasureRows(r *PredictResult, p *engine.Predictor, x []float32, budget time.Duration) error {
	in, k := p.Inputs(), p.Outputs()
	n := len(x) / in
	if n == 0 || len(x)%in != 0 {
		return errors.New("predict: no whole rows of inputs to measure on")
	}
	out := make([]float32, n*k)
	turn := min(n, Batch1Rows)
	calls, start := 0, time.Now()
	for time.Since(start) < budget || calls < 100 {
		for i := 0; i < 100; i++ {
			row := (calls + i) % turn
			if err := p.PredictInto32(out[:k], x[row*in:(row+1)*in]); err != nil {
				return fmt.Errorf("%s at batch 1: %w", r.Workload, err)
			}
		}
		calls += 100
	}
	r.MicrosPerRow = time.Since(start).Seconds() * 1e6 / float64(calls)
	var runs []time.Duration
	spent := time.Duration(0)
	for run := 0; spent < budget || run < 6; run++ {
		t := time.Now()
		if err := p.PredictInto32(out, x); err != nil {
			return fmt.Errorf("%s at batch %d: %w", r.Workload, n, err)
		}
		if run > 0 {
			d := time.Since(t)
			runs, spent = append(runs, d), spent+d
		}
	}
	slices.Sort(runs)
	r.Batch, r.RowsPerSec = n, float64(n)/runs[(len(runs)-1)/2].Seconds()
	return nil
}

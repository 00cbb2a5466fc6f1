package benchmarks

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/distributed"
)

// Workload is a network, its data and its training, as WORKLOADS.md defines them.
type Workload struct {
	ID        string
	Data      string // "moons", "mnist" or "mnist-noise"
	Layers    string
	Loss      engine.Loss
	Optimizer engine.Optimizer // plain SGD but for W2a
	LR        float64
	Epochs    int
	Batches   []int
}

// Workloads are the benchmark workloads, in order.
var Workloads = []Workload{
	{ID: "W1", Data: "moons", Layers: "6:relu,6:relu,1:sigmoid", Loss: engine.BCE, LR: 0.01, Epochs: 10, Batches: []int{1}},
	{ID: "W2", Data: "mnist", Layers: "128:relu,10:sigmoid", Loss: engine.BCE, LR: 0.01, Epochs: 1, Batches: []int{1, 64}},
	{ID: "W2s", Data: "mnist", Layers: "128:relu,10:softmax", Loss: engine.CE, LR: 0.01, Epochs: 1, Batches: []int{1}},
	{ID: "W3", Data: "mnist", Layers: "512:relu,512:relu,10:softmax", Loss: engine.CE, LR: 0.05, Epochs: 1, Batches: []int{64, 256}},
	// W2a is W2s trained by Adam (torch.optim's defaults, lr 0.001): the cost of an optimizer with state.
	{ID: "W2a", Data: "mnist", Layers: "128:relu,10:softmax", Loss: engine.CE, Optimizer: engine.DefaultOptimizer(engine.Adam),
		LR: 0.001, Epochs: 1, Batches: []int{1, 64}},
	// W2d is W2 on MNIST whose zero pixels are small noise: dense inputs, which
	// per-example SGD multiplies whole (the CPU's sparse inputs do not apply).
	{ID: "W2d", Data: "mnist-noise", Layers: "128:relu,10:sigmoid", Loss: engine.BCE, LR: 0.01, Epochs: 1, Batches: []int{1}},
}

// Find returns the workloads named in a comma-separated list ("" for all).
func Find(ids string) ([]Workload, error) {
	if ids == "" {
		return Workloads, nil
	}
	var out []Workload
	for _, id := range strings.Split(ids, ",") {
		found := false
		for _, w := range Workloads {
			if strings.EqualFold(w.ID, strings.TrimSpace(id)) {
				out, found = append(out, w), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown workload %q: expected W1, W2, W2s, W3, W2a or W2d", id)
		}
	}
	return out, nil
}

// Data is a workload's training and test sets.
type Data struct{ Train, Test *dataset.Set }

// moonsSeed and moonsTestSeed draw W1's 1,000 training and 1,000 test points.
const moonsSeed, moonsTestSeed = 1, 2

// noiseSeed draws the noise of mnist-noise, noiseScale bounds it: the
// pixels that are 0 become U(0, noiseScale), below the smallest nonzero
// pixel (1/255).
const (
	noiseSeed  = 3
	noiseScale = 1e-3
)

// LoadData loads the data a workload names: seeded moons, MNIST from the
// folder mnistDir, or that MNIST with its zero pixels made small noise
// (mnist-noise).
func LoadData(name, mnistDir string) (Data, error) {
	switch name {
	case "moons":
		train, err := dataset.Synthetic("moons", 1000, -1, moonsSeed)
		if err != nil {
			return Data{}, err
		}
		test, err := dataset.Synthetic("moons", 1000, -1, moonsTestSeed)
		return Data{train, test}, err
	case "mnist", "mnist-noise":
		train, test, err := dataset.LoadMNIST(mnistDir)
		if err == nil && name == "mnist-noise" {
			rng := rand.New(rand.NewPCG(noiseSeed, 0))
			for _, set := range []*dataset.Set{train, test} {
				x := set.Float64s()
				for i, v := range x {
					if v == 0 {
						x[i] = noiseScale * rng.Float64()
					}
				}
			}
		}
		return Data{train, test}, err
	}
	return Data{}, fmt.Errorf("unknown workload data %q", name)
}

// Result is one measured run; its JSON fields are those of pytorch_baseline.py.
type Result struct {
	Workload  string `json:"workload"`
	Backend   string `json:"backend"`
	Device    string `json:"device"`
	DType     string `json:"dtype"`
	Batch     int    `json:"batch"`
	Threads   int    `json:"threads"` // per process
	Processes int    `json:"processes"`
	// AllReduceShare and WaitShare are, for a data-parallel run, the shares
	// of the fit's time (from a barrier before it) that process 0 spent
	// blocked in the Comm's all-reduces (the gradients' every step, in
	// buckets, what of them the computation did not hide; the totals' and
	// stop flag's every 200th of an epoch) and waiting for the slowest
	// process (in a step: the slowest process's computation less its own);
	// the rest is its computation. BucketBytes is the buckets' size (0:
	// the default).
	BucketBytes    int     `json:"bucket_bytes,omitempty"`
	AllReduceShare float64 `json:"allreduce_share,omitempty"`
	WaitShare      float64 `json:"wait_share,omitempty"`
	Epochs         int     `json:"epochs"`
	ExamplesPerSec float64 `json:"examples_per_s"`
	// FLOPsPerExample is FLOPs of the workload's network; GFLOPS is that
	// times ExamplesPerSec, in 10⁹ a second.
	FLOPsPerExample float64 `json:"flops_per_example"`
	GFLOPS          float64 `json:"gflops"`
	// PeakGFLOPS is, for the CPU backend, the peak of the threads it ran on
	// (cpu.Peak of Threads threads together), for its dtype, when measured.
	PeakGFLOPS      float64 `json:"peak_gflops,omitempty"`
	SecondsPerEpoch float64 `json:"seconds_per_epoch"`
	Loss            float64 `json:"loss"`
	TestAccuracy    float64 `json:"test_accuracy"`
}

// Run trains a fresh network of workload w on data with be, data parallel
// over comm's processes if comm is not nil (each calls Run alike; batch is
// the global batch; the steps all-reduce their gradients in buckets of
// bucketBytes, 0 for the default: engine.Config.BucketBytes), and returns the training speed (data loading and
// evaluation excluded), the last epoch's loss and the test accuracy.
func Run(ctx context.Context, w Workload, data Data, be engine.Backend, dtype engine.DType, batch int, comm distributed.Comm, bucketBytes int) (Result, error) {
	layers, err := engine.ParseLayers(w.Layers)
	if err != nil {
		return Result{}, err
	}
	spec := engine.Spec{Inputs: data.Train.Features, Layers: layers, Loss: w.Loss, DType: dtype}
	rng := engine.NewRNG(1)
	net, err := engine.NewNetwork(spec, engine.InitAuto, rng)
	if err != nil {
		return Result{}, err
	}
	cfg := engine.Config{Epochs: w.Epochs, LearningRate: w.LR, BatchSize: batch, Optimizer: w.Optimizer, RNG: rng, Backend: be, BucketBytes: bucketBytes}
	processes, timed := 1, &timedComm{Comm: comm}
	if comm != nil {
		processes, cfg.Comm = comm.Size(), timed
		if err := timed.barrier(); err != nil { // the fits start together: loading the data is not waited for
			return Result{}, err
		}
		timed.begin()
	}
	start := time.Now()
	hist, err := engine.Fit(ctx, net, data.Train, cfg)
	if err != nil {
		return Result{}, fmt.Errorf("%s on %s: %w", w.ID, be.Name(), err)
	}
	fitTime := time.Since(start).Seconds()
	var reducing, waiting float64
	if comm != nil {
		stepWait, err := timed.stepWaits()
		if err != nil {
			return Result{}, err
		}
		stepWait = min(stepWait, timed.blocked)
		reducing, waiting = (timed.reduce + timed.blocked - stepWait).Seconds(), (timed.wait + stepWait).Seconds()
	}
	m, err := engine.EvaluateDataParallel(be, comm, net, data.Test)
	if err != nil {
		return Result{}, err
	}
	var secs float64
	for _, h := range hist {
		secs += h.Seconds
	}
	perSec, flops := float64(w.Epochs*data.Train.N)/secs, FLOPs(spec)
	return Result{
		Workload: w.ID, Backend: be.Name(), Device: be.Device(), DType: dtype.String(), Batch: batch, Threads: runtime.GOMAXPROCS(0),
		Processes: processes, Epochs: w.Epochs, ExamplesPerSec: perSec, FLOPsPerExample: flops, GFLOPS: perSec * flops / 1e9,
		SecondsPerEpoch: secs / float64(w.Epochs), Loss: hist[len(hist)-1].Loss, TestAccuracy: m.Accuracy,
		AllReduceShare: reducing / fitTime, WaitShare: waiting / fitTime, BucketBytes: bucketBytes,
	}, nil
}

// FLOPs returns the floating-point operations of one example's step of
// SGD on networks of spec, counting the products only (a multiply-add is 2):
// the forward pass, the weights' gradient, and the gradient of every layer's
// input but the first's:
//
//	2·Σ_l in_l·out_l + 2·Σ_l in_l·out_l + 2·Σ_{l>1} in_l·out_l
//
// It is the work of dense inputs: on sparse ones the CPU does less.
func FLOPs(spec engine.Spec) float64 {
	var flops float64
	in := spec.Inputs
	for l, ly := range spec.Layers {
		products := 2.0
		if l > 0 {
			products = 3
		}
		flops += products * 2 * float64(in*ly.Units)
		in = ly.Units
	}
	return flops
}

// timedComm is a Comm that tells where a data-parallel fit's time goes,
// without holding the steps back. The steps' all-reduces, which the
// trainer starts in buckets as its backward pass goes (Starter), from the
// end of its buffer to its start, are cut into steps: a start at an
// address not below the one before begins a step, which ended when its
// last all-reduce completed. Of each step it keeps its computation (the
// time outside the Comm's calls) and the time blocked in them; Run then
// sums the computations over the processes, and a process's wait in a
// step is the slowest process's computation less its own (the processes
// leave each step's all-reduce together), the rest of its blocked time the
// all-reduce's. Its other collectives (the totals', the stop flag's:
// blocking) are timed with a barrier before each, which the sums do not
// see.
type timedComm struct {
	distributed.Comm
	wait, reduce time.Duration   // of the blocking collectives
	steps        []time.Duration // each step's computation
	blocked      time.Duration   // the steps' time in the Comm's calls
	last         uintptr         // the address of the last all-reduce started
	stepBegan    time.Time
	stepBlocked  time.Duration
	lastDone     time.Time // when the step's last all-reduce completed
}

// Unwrap returns the Comm c times, whose memory the processes may share
// (distributed.NewSumsOn).
func (c *timedComm) Unwrap() distributed.Comm { return c.Comm }

func (c *timedComm) AllReduceFloat64(buf []float64) error {
	if err := c.barrier(); err != nil {
		return err
	}
	defer add(&c.reduce, time.Now())
	return c.Comm.AllReduceFloat64(buf)
}

func (c *timedComm) AllReduceFloat32(buf []float32) error {
	if err := c.barrier(); err != nil {
		return err
	}
	defer add(&c.reduce, time.Now())
	return c.Comm.AllReduceFloat32(buf)
}

func (c *timedComm) StartAllReduceFloat64(buf []float64) (distributed.Request, error) {
	return c.start(uintptr(unsafe.Pointer(unsafe.SliceData(buf))), func() (distributed.Request, error) { return distributed.StartAllReduce(c.Comm, buf) })
}

func (c *timedComm) StartAllReduceFloat32(buf []float32) (distributed.Request, error) {
	return c.start(uintptr(unsafe.Pointer(unsafe.SliceData(buf))), func() (distributed.Request, error) { return distributed.StartAllReduce(c.Comm, buf) })
}

// start times the start of a step's all-reduce of the buffer at address
// at, one not below the last's beginning a step.
func (c *timedComm) start(at uintptr, f func() (distributed.Request, error)) (distributed.Request, error) {
	if at >= c.last && c.last != 0 {
		c.endStep()
	}
	c.last = at
	began := time.Now()
	r, err := f()
	c.stepBlocked += time.Since(began)
	if err != nil {
		return nil, err
	}
	return &timedRequest{Request: r, c: c}, nil
}

// endStep ends the step under way, whose last all-reduce completed at
// c.lastDone.
func (c *timedComm) endStep() {
	c.steps = append(c.steps, c.lastDone.Sub(c.stepBegan)-c.stepBlocked)
	c.blocked += c.stepBlocked
	c.stepBegan, c.stepBlocked = c.lastDone, 0
}

// timedRequest is a step's all-reduce, timed by its timedComm.
type timedRequest struct {
	distributed.Request
	c         *timedComm
	completed bool
}

func (r *timedRequest) Test() (bool, error) {
	began := time.Now()
	completed, err := r.Request.Test()
	r.end(began, completed)
	return completed, err
}

func (r *timedRequest) Wait() error {
	began := time.Now()
	err := r.Request.Wait()
	r.end(began, true)
	return err
}

// end adds the time from began to the step's blocked time, and notes when
// the all-reduce completed.
func (r *timedRequest) end(began time.Time, completed bool) {
	now := time.Now()
	r.c.stepBlocked += now.Sub(began)
	if completed && !r.completed {
		r.completed, r.c.lastDone = true, now
	}
}

// begin starts the count of the fit's steps at now.
func (c *timedComm) begin() {
	c.wait, c.reduce, c.steps, c.blocked, c.last, c.stepBegan, c.stepBlocked = 0, 0, nil, 0, 0, time.Now(), 0
}

// stepWaits returns the steps' time waiting for the slowest process, summed
// over the steps, from every process's computation of each step (a
// collective). The processes took the same steps.
func (c *timedComm) stepWaits() (time.Duration, error) {
	if c.last != 0 {
		c.endStep()
	}
	n, rank := c.Size(), c.Rank()
	all := make([]float64, n*len(c.steps))
	for i, d := range c.steps {
		all[i*n+rank] = d.Seconds()
	}
	if err := c.Comm.AllReduceFloat64(all); err != nil {
		return 0, err
	}
	var wait float64
	for i := range c.steps {
		wait += slices.Max(all[i*n:(i+1)*n]) - all[i*n+rank]
	}
	return time.Duration(wait * float64(time.Second)), nil
}

// barrier returns when every process has come to it.
func (c *timedComm) barrier() error {
	defer add(&c.wait, time.Now())
	return c.Comm.AllReduceFloat64([]float64{0})
}

// add adds the time since start to d.
func add(d *time.Duration, start time.Time) { *d += time.Since(start) }

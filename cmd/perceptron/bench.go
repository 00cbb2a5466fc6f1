package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perceptron-go/perceptron/benchmarks"
	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/modelfile"
	"github.com/perceptron-go/perceptron/gpu"
)

// benchFlags are the flags of perceptron bench.
type benchFlags struct {
	workloads, backends, dtypes string
	out, compare, mnistDir      string
	json                        bool
	distributed                 string
	collectiveTimeout           time.Duration
	bucketBytes                 int
	batches                     string
	predict                     bool
	model, inputs               string
	fits                        string // bench --fits: counts of fits at once (benchFits)
	threads                     int    // bench --fits: the CPU pool's cores
}

// register defines bench's flags on fs.
func (f *benchFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.workloads, "workload", "", "workloads to run, comma-separated (default: W1,W2,W2s,W3,W2a,W2d)")
	fs.StringVar(&f.backends, "backend", "auto", "backends, comma-separated: cpu, cuda, or auto (cpu, and cuda when built with it and a GPU is present)")
	fs.StringVar(&f.dtypes, "dtype", "float32", "dtypes, comma-separated: float32, float64")
	fs.StringVar(&f.out, "out", "bench.json", "JSON file to write the results to (empty: none)")
	fs.StringVar(&f.compare, "compare-json", "", "results of benchmarks/pytorch_baseline.py to show beside ours, with the ratios")
	fs.StringVar(&f.mnistDir, "mnist-dir", "", "folder with the MNIST IDX files (default: the GoMNIST module's data/)")
	fs.BoolVar(&f.json, "json", false, "print the results as JSON instead of the table")
	fs.StringVar(&f.distributed, "distributed", "auto", distributedHelp+" (the mini-batch workloads, on the processes together)")
	registerCollectiveTimeout(fs, &f.collectiveTimeout)
	registerBucketMB(fs, &f.bucketBytes)
	fs.StringVar(&f.batches, "batch", "", "mini-batch sizes to run, comma-separated, in place of each workload's (such as 256,1024; batch 1, per-example SGD, stays where a workload has it)")
	fs.BoolVar(&f.predict, "predict", false, fmt.Sprintf("measure the Predictor of each workload's network instead of training it: µs per row at batch 1 (the first %d rows in turn) and rows/s on a batch of %d, printed as JSON (set GOMAXPROCS=1 for one thread)", benchmarks.Batch1Rows, benchmarks.PredictBatch))
	fs.StringVar(&f.model, "model", "", "with --predict: measure the Predictor of this model file (its preprocessing included) instead of the workloads' networks")
	fs.StringVar(&f.fits, "fits", "", "measure fits a second instead: this many fits of each workload (W1 unless --workload names W2) at once, comma-separated counts (as 1,8,64,512), trained as perceptron sweep trains them (seeds 1 to N) on each backend named (cpu, cuda), printed as JSON")
	fs.IntVar(&f.threads, "threads", runtime.NumCPU(), "with --fits: the sweep's --threads, the CPU pool's cores")
	fs.StringVar(&f.inputs, "inputs", "", "with --predict: the rows to predict, raw little-endian float32s (as benchmarks/onnx/rows.js writes), instead of drawn dense rows; the batch is all of them")
}

// benchRun is one run of perceptron bench: its flags, its processes, and
// what each step hands to the next.
type benchRun struct {
	benchFlags
	*group
	stdout, stderr io.Writer

	// From configure: what to measure, the CPU's yardstick, the peers' results.
	ws    []benchmarks.Workload
	bes   []engine.Backend
	dts   []engine.DType
	peak  cpu.PeakFLOPS // zero unless the cpu backend is measured
	peers []benchmarks.Result
	// batchList is --batch's sizes (nil: each workload's own).
	batchList []int
	// From measure: our results.
	results []benchmarks.Result
}

// bench is perceptron bench: it measures every workload, backend, dtype and
// batch size the flags name, on the processes of a data-parallel run
// together, and reports the results beside those of --compare-json.
func bench(args []string, stdout, stderr io.Writer) (err error) {
	r := &benchRun{stdout: stdout, stderr: stderr}
	fs, parse := newFlags("bench", "[--workload W1,W2,W2s,W3,W2a,W2d] [--backend cpu,cuda] [--dtype float32,float64] [flags]", stderr)
	r.register(fs)
	if err := parse(args); err != nil {
		return err
	}
	if r.predict && r.fits != "" {
		return errors.New("bench: --predict and --fits measure different things; give one of them")
	}
	if r.predict {
		return benchPredict(r.benchFlags, stdout)
	}
	if r.fits != "" {
		return benchFits(r.benchFlags, stdout, stderr)
	}
	if r.group, err = openGroup(r.distributed, r.collectiveTimeout, &r.stdout, &r.stderr); err != nil {
		return err
	}
	defer func() { err = r.close(err) }()
	for _, step := range []func() error{r.configure, r.join, r.measure, r.report} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// configure checks the flags, before any process measures anything: the
// output file, the workloads, the backends (opening them), the dtypes, and
// the peers' results, which it reads. With the cpu backend among those
// measured, it measures the CPU's peak, the yardstick of its GFLOP/s on the
// threads the backend uses.
func (r *benchRun) configure() error {
	if r.out != "" && r.leads() {
		var inputs []string
		if r.compare != "" {
			inputs = append(inputs, r.compare)
		}
		if err := checkOutputs([]output{{"--out", r.out, false}}, inputs, false); err != nil {
			return err
		}
	}
	var err error
	if r.ws, err = benchmarks.Find(r.workloads); err != nil {
		return fmt.Errorf("--workload: %w", err)
	}
	if r.bes, err = benchBackends(r.backends); err != nil {
		return err
	}
	if slices.ContainsFunc(r.bes, func(be engine.Backend) bool { return be.Name() == "cpu" }) {
		r.peak = cpu.Peak(500, runtime.GOMAXPROCS(0))
	}
	for _, name := range strings.Split(r.dtypes, ",") {
		dt, err := engine.ParseDType(strings.TrimSpace(name))
		if err != nil {
			return fmt.Errorf("--dtype: %w", err)
		}
		r.dts = append(r.dts, dt)
	}
	if r.batches != "" {
		for _, b := range strings.Split(r.batches, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(b))
			if err != nil || n < 2 {
				return fmt.Errorf("--batch: expected mini-batch sizes of 2 or more, comma-separated, such as 256,1024; found %q", b)
			}
			r.batchList = append(r.batchList, n)
		}
	}
	if r.compare != "" {
		if r.peers, err = readResults(r.compare); err != nil {
			return err
		}
	}
	return nil
}

// measure loads each workload's data, once for the workloads that share
// it, and measures the workload (measureWorkload).
func (r *benchRun) measure() error {
	loaded := map[string]benchmarks.Data{}
	for _, w := range r.ws {
		data, ok := loaded[w.Data]
		if !ok {
			var err error
			dir := mnistFolder(r.mnistDir)
			if data, err = benchmarks.LoadData(w.Data, dir); err != nil {
				return mnistMissing(err, dir)
			}
			loaded[w.Data] = data
		}
		if err := r.measureWorkload(w, data); err != nil {
			return err
		}
	}
	return nil
}

// measureWorkload runs workload w on data with every backend, dtype and
// batch size, adding each result, with the CPU's peak for the cpu backend,
// to r.results. Per-example SGD is skipped on several processes, which
// cannot share it.
func (r *benchRun) measureWorkload(w benchmarks.Workload, data benchmarks.Data) error {
	for _, be := range r.bes {
		for _, dt := range r.dts {
			for _, batch := range r.batchesOf(w) {
				if r.comm != nil && batch == 1 {
					fmt.Fprintf(r.stderr, "perceptron: bench %s batch 1 skipped: per-example SGD is sequential, it cannot be shared among processes\n", w.ID)
					continue
				}
				fmt.Fprintf(r.stderr, "perceptron: bench %s on %s, %s, batch %d\n", w.ID, be.Name(), dt, batch)
				res, err := benchmarks.Run(context.Background(), w, data, be, dt, batch, r.comm, r.bucketBytes)
				if err != nil {
					return err
				}
				if be.Name() == "cpu" {
					res.PeakGFLOPS = map[engine.DType]float64{engine.Float32: r.peak.Float32, engine.Float64: r.peak.Float64}[dt] / 1e9
				}
				r.results = append(r.results, res)
			}
		}
	}
	return nil
}

// batchesOf returns the batch sizes workload w runs at: --batch's in
// place of its mini-batch sizes, after its batch 1 where it has it.
func (r *benchRun) batchesOf(w benchmarks.Workload) []int {
	if len(r.batchList) == 0 || !slices.ContainsFunc(w.Batches, func(b int) bool { return b > 1 }) {
		return w.Batches
	}
	if slices.Contains(w.Batches, 1) {
		return append([]int{1}, r.batchList...)
	}
	return r.batchList
}

// report writes the results to --out (on the process that writes) and
// prints them: as JSON with --json, else as the table beside the peers',
// with the CPU's peak, the devices, the ratios, and each data-parallel
// run's share of time in all-reduces and waiting.
func (r *benchRun) report() error {
	if r.out != "" && r.leads() {
		if err := modelfile.WriteAtomic(r.out, func(w io.Writer) error { return writeJSON(w, r.results) }); err != nil {
			return err
		}
	}
	if r.json {
		return writeJSON(r.stdout, r.results)
	}
	all := slices.Concat(r.results, r.peers)
	printResults(r.stdout, all)
	if p := r.peak; p.ISA != "" {
		fmt.Fprintf(r.stdout, "\n%-8s  cpu peak: %d threads together, %s fused multiply-adds, %.1f GFLOP/s float32, %.1f float64 (peak: GFLOP/s as a share of it)\n",
			"", p.Threads, p.ISA, p.Float32/1e9, p.Float64/1e9)
	}
	printDevices(r.stdout, all)
	printRatios(r.stdout, r.results, r.peers)
	for _, res := range r.results {
		if res.Processes > 1 {
			fmt.Fprintf(r.stdout, "%s %s batch %d on %d processes: %.1f%% of the fit computing, %.1f%% in all-reduces (what the computation did not hide), %.1f%% waiting for the slowest process\n",
				res.Workload, res.DType, res.Batch, res.Processes, 100*(1-res.AllReduceShare-res.WaitShare), 100*res.AllReduceShare, 100*res.WaitShare)
		}
	}
	return nil
}

// benchBackends opens the backends a comma-separated list names; auto is
// cpu, and cuda when it can be opened.
func benchBackends(list string) ([]engine.Backend, error) {
	if list == "auto" {
		bes := []engine.Backend{cpu.New()}
		if be, err := gpu.New(); err == nil {
			bes = append(bes, be)
		}
		return bes, nil
	}
	var bes []engine.Backend
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "auto" {
			return nil, fmt.Errorf("--backend: auto stands alone")
		}
		be, err := openBackend(name)
		if err != nil {
			return nil, err
		}
		bes = append(bes, be)
	}
	return bes, nil
}

func readResults(path string) ([]benchmarks.Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rs []benchmarks.Result
	if err := json.Unmarshal(data, &rs); err != nil {
		return nil, fmt.Errorf("%s: expected a JSON list of results like bench.json: %w", path, err)
	}
	return rs, nil
}

// printDevices names the hardware behind each backend of the table.
func printDevices(w io.Writer, results []benchmarks.Result) {
	seen := map[string]bool{}
	for _, r := range results {
		if key := r.Backend + "\x00" + r.Device; !seen[key] && r.Device != "" {
			if len(seen) == 0 {
				fmt.Fprintf(w, "\n%-8s  %-13s  %s\n", "", "backend", "device")
			}
			seen[key] = true
			fmt.Fprintf(w, "%-8s  %-13s  %s\n", "", r.Backend, r.Device)
		}
	}
}

func printResults(w io.Writer, results []benchmarks.Result) {
	fmt.Fprintf(w, "%-8s  %-13s  %-7s  %5s  %7s  %5s  %12s  %9s  %8s  %8s  %8s  %5s\n", "workload", "backend", "dtype", "batch", "threads", "procs",
		"examples/s", "s/epoch", "loss", "test_acc", "GFLOP/s", "peak")
	for _, r := range results {
		share := ""
		if r.PeakGFLOPS > 0 {
			share = fmt.Sprintf("%.0f%%", 100*r.GFLOPS/r.PeakGFLOPS)
		}
		fmt.Fprintf(w, "%-8s  %-13s  %-7s  %5d  %7d  %5d  %12.0f  %9.4g  %8.4f  %7.2f%%  %8.1f  %5s\n", r.Workload, r.Backend, r.DType, r.Batch, r.Threads,
			max(r.Processes, 1), r.ExamplesPerSec, r.SecondsPerEpoch, r.Loss, 100*r.TestAccuracy, r.GFLOPS, share)
	}
}

// printRatios prints, per workload, dtype and batch, the CUDA backend's
// speed-up over the CPU's and each of ours against the peer on the same
// kind of device (cpu against pytorch-cpu, cuda against pytorch-cuda).
func printRatios(w io.Writer, ours, peers []benchmarks.Result) {
	find := func(rs []benchmarks.Result, workload, backend, dtype string, batch int) *benchmarks.Result {
		for i, r := range rs {
			if r.Workload == workload && r.Backend == backend && r.DType == dtype && r.Batch == batch {
				return &rs[i]
			}
		}
		return nil
	}
	var lines []string
	for _, r := range ours {
		key := fmt.Sprintf("%s %s batch %d", r.Workload, r.DType, r.Batch)
		if r.Backend == "cuda" {
			if c := find(ours, r.Workload, "cpu", r.DType, r.Batch); c != nil {
				lines = append(lines, fmt.Sprintf("%s: cuda is %.2f× cpu", key, r.ExamplesPerSec/c.ExamplesPerSec))
			}
		}
		if p := find(peers, r.Workload, "pytorch-"+r.Backend, r.DType, r.Batch); p != nil {
			lines = append(lines, fmt.Sprintf("%s: %s is %.2f× pytorch-%s (%d and %d threads)", key, r.Backend, r.ExamplesPerSec/p.ExamplesPerSec, r.Backend, r.Threads, p.Threads))
		}
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(lines, "\n"))
	}
}

// predictBudget is how long bench --predict measures each batch size.
const predictBudget = 2 * time.Second

// benchPredict is perceptron bench --predict: it measures the Predictor of
// each workload, backend and dtype the flags name and prints the results
// as JSON (benchmarks.PredictResult), for a script that compares them with
// another runtime's in the same sitting.
func benchPredict(f benchFlags, stdout io.Writer) error {
	if f.model != "" && f.workloads != "" {
		return errors.New("bench --predict: --model and --workload both name what to measure; give one of them")
	}
	bes, err := benchBackends(f.backends)
	if err != nil {
		return err
	}
	if f.model != "" {
		return benchPredictModel(f, bes, stdout)
	}
	if f.inputs != "" {
		return errors.New("bench --predict: --inputs needs --model (the workloads' networks run on drawn rows)")
	}
	ws, err := benchmarks.Find(f.workloads)
	if err != nil {
		return fmt.Errorf("--workload: %w", err)
	}
	var results []benchmarks.PredictResult
	for _, name := range strings.Split(f.dtypes, ",") {
		dt, err := engine.ParseDType(strings.TrimSpace(name))
		if err != nil {
			return fmt.Errorf("--dtype: %w", err)
		}
		for _, be := range bes {
			for _, w := range ws {
				res, err := benchmarks.MeasurePredictor(be, w, dt, runtime.GOMAXPROCS(0), predictBudget)
				if err != nil {
					return err
				}
				results = append(results, res)
			}
		}
	}
	return writeJSON(stdout, results)
}

// benchPredictModel is bench --predict --model: the Predictor of the model
// file on each backend, on the rows of --inputs or on drawn dense rows.
func benchPredictModel(f benchFlags, bes []engine.Backend, stdout io.Writer) error {
	m, err := modelfile.Load(f.model)
	if err != nil {
		return err
	}
	in := m.Network.Spec.Inputs
	x, kind := benchmarks.DenseRows(benchmarks.PredictBatch, in), "dense"
	if f.inputs != "" {
		if x, err = benchmarks.ReadRows(f.inputs, in); err != nil {
			return fmt.Errorf("--inputs: %w", err)
		}
		kind = filepath.Base(f.inputs)
	}
	name := strings.TrimSuffix(filepath.Base(f.model), filepath.Ext(f.model))
	var results []benchmarks.PredictResult
	for _, be := range bes {
		p, err := m.Predictor(be)
		if err != nil {
			return err
		}
		r := benchmarks.PredictResult{Workload: name, Backend: be.Name(), Device: be.Device(), DType: m.Network.Spec.DType.String(), Threads: runtime.GOMAXPROCS(0), Inputs: kind}
		err = benchmarks.MeasureRows(&r, p, x, predictBudget)
		p.Close()
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	return writeJSON(stdout, results)
}

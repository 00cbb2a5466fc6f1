package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/perceptron-go/perceptron/benchmarks"
	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/modelfile"
	"github.com/perceptron-go/perceptron/gpu"
)

func bench(args []string, stdout, stderr io.Writer) (err error) {
	var workloads, backends, dtypes, out, compare, mnist, dist string
	var asJSON bool
	fs, parse := newFlags("bench", "[--workload W1,W2,W2s,W3,W2a,W2d] [--backend cpu,cuda] [--dtype float32,float64] [flags]", stderr)
	fs.StringVar(&workloads, "workload", "", "workloads to run, comma-separated (default: W1,W2,W2s,W3,W2a,W2d)")
	fs.StringVar(&backends, "backend", "auto", "backends, comma-separated: cpu, cuda, or auto (cpu, and cuda when built with it and a GPU is present)")
	fs.StringVar(&dtypes, "dtype", "float32", "dtypes, comma-separated: float32, float64")
	fs.StringVar(&out, "out", "bench.json", "JSON file to write the results to (empty: none)")
	fs.StringVar(&compare, "compare-json", "", "results of benchmarks/pytorch_baseline.py to show beside ours, with the ratios")
	fs.StringVar(&mnist, "mnist-dir", "", "folder with the MNIST IDX files (default: the GoMNIST module's data/)")
	fs.BoolVar(&asJSON, "json", false, "print the results as JSON instead of the table")
	fs.StringVar(&dist, "distributed", "auto", distributedHelp+" (the mini-batch workloads, on the processes together)")
	if err := parse(args); err != nil {
		return err
	}
	g, err := openGroup(dist, &stdout, &stderr)
	if err != nil {
		return err
	}
	defer func() { err = g.close(err) }()
	if out != "" && g.leads() {
		var inputs []string
		if compare != "" {
			inputs = append(inputs, compare)
		}
		if err := checkOutputs([]output{{"--out", out, false}}, inputs, false); err != nil {
			return err
		}
	}
	ws, err := benchmarks.Find(workloads)
	if err != nil {
		return fmt.Errorf("--workload: %w", err)
	}
	bes, err := benchBackends(backends)
	if err != nil {
		return err
	}
	var peak cpu.PeakFLOPS // the yardstick of the CPU's GFLOP/s, on the threads the CPU backend uses
	for _, be := range bes {
		if be.Name() == "cpu" {
			peak = cpu.Peak(500, runtime.GOMAXPROCS(0))
		}
	}
	var dts []engine.DType
	for _, name := range strings.Split(dtypes, ",") {
		dt, err := engine.ParseDType(strings.TrimSpace(name))
		if err != nil {
			return fmt.Errorf("--dtype: %w", err)
		}
		dts = append(dts, dt)
	}
	var peers []benchmarks.Result
	if compare != "" {
		if peers, err = readResults(compare); err != nil {
			return err
		}
	}

	if err := g.join(); err != nil {
		return err
	}
	var results []benchmarks.Result
	loaded := map[string]benchmarks.Data{}
	for _, w := range ws {
		data, ok := loaded[w.Data]
		if !ok {
			dir := mnistFolder(mnist)
			if data, err = benchmarks.LoadData(w.Data, dir); err != nil {
				return mnistMissing(err, dir)
			}
			loaded[w.Data] = data
		}
		for _, be := range bes {
			for _, dt := range dts {
				for _, batch := range w.Batches {
					if g.comm != nil && batch == 1 {
						fmt.Fprintf(stderr, "perceptron: bench %s batch 1 skipped: per-example SGD is sequential, it cannot be shared among processes\n", w.ID)
						continue
					}
					fmt.Fprintf(stderr, "perceptron: bench %s on %s, %s, batch %d\n", w.ID, be.Name(), dt, batch)
					r, err := benchmarks.Run(context.Background(), w, data, be, dt, batch, g.comm)
					if err != nil {
						return err
					}
					if be.Name() == "cpu" {
						r.PeakGFLOPS = map[engine.DType]float64{engine.Float32: peak.Float32, engine.Float64: peak.Float64}[dt] / 1e9
					}
					results = append(results, r)
				}
			}
		}
	}
	if out != "" && g.leads() {
		if err := modelfile.WriteAtomic(out, func(w io.Writer) error { return writeJSON(w, results) }); err != nil {
			return err
		}
	}
	if asJSON {
		return writeJSON(stdout, results)
	}
	printResults(stdout, append(results, peers...))
	if peak.ISA != "" {
		fmt.Fprintf(stdout, "\n%-8s  cpu peak: %d threads together, %s fused multiply-adds, %.1f GFLOP/s float32, %.1f float64 (peak: GFLOP/s as a share of it)\n",
			"", peak.Threads, peak.ISA, peak.Float32/1e9, peak.Float64/1e9)
	}
	printDevices(stdout, append(results, peers...))
	printRatios(stdout, results, peers)
	for _, r := range results {
		if r.Processes > 1 {
			fmt.Fprintf(stdout, "%s %s batch %d on %d processes: %.1f%% of the fit in all-reduces, %.1f%% waiting for the slowest process\n",
				r.Workload, r.DType, r.Batch, r.Processes, 100*r.AllReduceShare, 100*r.WaitShare)
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

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// fitsResult is one measurement of perceptron bench --fits: fits fits of a
// workload trained at once, as perceptron sweep trains them.
type fitsResult struct {
	Workload      string  `json:"workload"`
	Backend       string  `json:"backend"`
	DType         string  `json:"dtype"`
	Fits          int     `json:"fits"`
	Threads       int     `json:"threads"`
	Seconds       float64 `json:"seconds"`
	FitsPerSecond float64 `json:"fits_per_second"`
}

// fitsArgs are the sweep's flags of n fits of workload w (W1: the
// course's network, --preset course; W2: MNIST 784-128-10 per example, one
// epoch), seeds 1 to n, writing nothing but the sweep's JSON.
func fitsArgs(w string, n int, backend, dtype, mnistDir string, threads int) ([]string, error) {
	seeds := make([]string, n)
	for i := range seeds {
		seeds[i] = strconv.Itoa(i + 1)
	}
	args := []string{"--backend", backend, "--dtype", dtype, "--seed", strings.Join(seeds, ","), "--threads", strconv.Itoa(threads),
		"--json", "--csv", "", "--plot", "", "--out", ""}
	switch w {
	case "W1":
		return append([]string{"--preset", "course"}, args...), nil
	case "W2":
		data := []string{"--data", "mnist", "--layers", "128:relu,10:sigmoid", "--loss", "bce", "--lr", "0.01", "--epochs", "1", "--batch", "1"}
		if mnistDir != "" {
			data = append(data, "--mnist-dir", mnistDir)
		}
		return append(data, args...), nil
	}
	return nil, fmt.Errorf("bench --fits: workload %q: expected W1 (the course's network) or W2 (MNIST 784-128-10 per example)", w)
}

// benchFits is perceptron bench --fits: for each count of --fits, workload
// of --workload (W1 unless given), backend of --backend and dtype of
// --dtype, that many fits trained at once by perceptron sweep (a GPU's
// group with --backend cuda, its pool of --threads cores with cpu), timed
// from the sweep's start to its end, data included; it prints the results
// as JSON, fits a second in each.
func benchFits(f benchFlags, stdout, stderr io.Writer) error {
	var counts []int
	for c := range strings.SplitSeq(f.fits, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			return fmt.Errorf("--fits: %q is not a count of fits: expected whole numbers from 1, comma-separated, as 1,8,64,512", c)
		}
		counts = append(counts, n)
	}
	if f.backends == "" || f.backends == "auto" {
		return errors.New("bench --fits: --backend auto would measure the backend the model picks: name cpu, cuda or both (cpu,cuda)")
	}
	workloads := f.workloads
	if workloads == "" {
		workloads = "W1"
	}
	var results []fitsResult
	for w := range strings.SplitSeq(workloads, ",") {
		for be := range strings.SplitSeq(f.backends, ",") {
			for dt := range strings.SplitSeq(f.dtypes, ",") {
				for _, n := range counts {
					w, be, dt := strings.TrimSpace(w), strings.TrimSpace(be), strings.TrimSpace(dt)
					args, err := fitsArgs(w, n, be, dt, f.mnistDir, f.threads)
					if err != nil {
						return err
					}
					start := time.Now()
					if err := sweep(args, io.Discard, stderr); err != nil {
						return fmt.Errorf("bench --fits: %d %s fits on %s: %w", n, w, be, err)
					}
					secs := time.Since(start).Seconds()
					results = append(results, fitsResult{Workload: w, Backend: be, DType: dt, Fits: n, Threads: f.threads, Seconds: secs, FitsPerSecond: float64(n) / secs})
				}
			}
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(results)
}

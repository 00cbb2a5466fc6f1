package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/perceptron-go/perceptron/engine"
)

// summary is the JSON that train --json prints.
type summary struct {
	Backend            string       `json:"backend"`
	DType              string       `json:"dtype"`
	Data               string       `json:"data"`
	Inputs             int          `json:"inputs"`
	Layers             string       `json:"layers"`
	Loss               string       `json:"loss"`
	Optimizer          string       `json:"optimizer"`
	Schedule           string       `json:"lr_schedule"`
	Warmup             int          `json:"warmup_epochs"`
	Epochs             int          `json:"epochs"`
	LearningRate       float64      `json:"lr"`
	Batch              int          `json:"batch"`
	Seed               uint64       `json:"seed"`
	TrainExamples      int          `json:"train_examples"`
	ValidationExamples int          `json:"validation_examples"`
	TestExamples       int          `json:"test_examples"`
	Classes            []string     `json:"classes,omitempty"`       // the class names, in class-index order, where the data names them
	ClassWeights       []float64    `json:"class_weights,omitempty"` // --class-weight's, one per class
	History            []epochRow   `json:"history"`
	BestEpoch          int          `json:"best_epoch,omitempty"`
	StoppedEarly       bool         `json:"stopped_early,omitempty"`
	Test               *metricsJSON `json:"test,omitempty"`
	Model              string       `json:"model,omitempty"`
	Checkpoint         string       `json:"checkpoint,omitempty"`
	Resumed            string       `json:"resumed,omitempty"`
	InitFrom           string       `json:"init_from,omitempty"`
	LRFind             *rangeJSON   `json:"lr_find,omitempty"`        // --lr find's range test
	Monitor            string       `json:"monitor,omitempty"`        // what early stopping or a plateau schedule watched
	ClipGradNorm       float64      `json:"clip_grad_norm,omitempty"` // --clip-grad-norm's bound (0: none)
	ClipGradValue      float64      `json:"clip_grad_value,omitempty"`
	Target             *targetJSON  `json:"target_standardised,omitempty"` // --scale-target's standardisation of the labels
	Wrote              []string     `json:"wrote,omitempty"`
	Interrupted        bool         `json:"interrupted"`      // a signal cut the fit or the test
	Signal             string       `json:"signal,omitempty"` // which, and in a data-parallel run to which process ("SIGTERM to process 1 of 2")
}

// targetJSON is the standardisation of the labels a regression trained on:
// its losses per epoch are of (label − mean)/sd, one mean and sd per output.
type targetJSON struct {
	Mean []float64 `json:"mean"`
	SD   []float64 `json:"sd"`
}

// epochRow is one epoch in JSON; nil stands for a figure that does not apply.
type epochRow struct {
	Epoch          int      `json:"epoch"`
	Loss           *float64 `json:"loss"`
	TrainAccuracy  *float64 `json:"train_acc"`
	ValLoss        *float64 `json:"val_loss"`
	ValAccuracy    *float64 `json:"val_acc"`
	Seconds        float64  `json:"seconds"`
	ExamplesPerSec float64  `json:"examples_per_s"`
	LearningRate   float64  `json:"lr"`
}

func epochJSON(s engine.EpochStats) epochRow {
	return epochRow{s.Epoch, num(s.Loss), num(s.TrainAccuracy), num(s.ValLoss), num(s.ValAccuracy), s.Seconds, s.ExamplesPerSec, s.LearningRate}
}

// metricsJSON is engine.Metrics in JSON.
type metricsJSON struct {
	N         int       `json:"n,omitempty"`
	Kind      string    `json:"kind,omitempty"`
	Classes   []string  `json:"classes,omitempty"` // the class names, in the order of the per-class figures
	Loss      *float64  `json:"loss"`
	Accuracy  *float64  `json:"accuracy"`
	Precision []float64 `json:"precision,omitempty"`
	Recall    []float64 `json:"recall,omitempty"`
	F1        []float64 `json:"f1,omitempty"`
	Confusion [][]int   `json:"confusion,omitempty"`
	MAE       *float64  `json:"mae,omitempty"`
	RMSE      *float64  `json:"rmse,omitempty"`
	R2        *float64  `json:"r2,omitempty"`
	// Majority is what always answering the training part's most common
	// class scores (train's test only).
	Majority *majorityJSON `json:"majority,omitempty"`
}

// writeJSON writes v as indented JSON: train's summary, eval's metrics,
// bench's results.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// num returns a pointer to v, or nil for NaN and Inf, which JSON cannot hold.
func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// printHeader prints the header of train's table: the validation columns
// (val_loss, val_acc) only with validation data.
func printHeader(w io.Writer, validates bool) {
	fmt.Fprintf(w, "%5s  %10s  %9s", "epoch", "loss", "train_acc")
	if validates {
		fmt.Fprintf(w, "  %10s  %8s", "val_loss", "val_acc")
	}
	fmt.Fprintf(w, "  %8s  %12s  %10s\n", "seconds", "examples/s", "lr")
}

// printEpoch prints an epoch's row of train's table, as printHeader heads it.
func printEpoch(w io.Writer, s engine.EpochStats, validates bool) {
	fmt.Fprintf(w, "%5d  %10.6f  %9s", s.Epoch, s.Loss, percent(s.TrainAccuracy))
	if validates {
		fmt.Fprintf(w, "  %10s  %8s", fixed(s.ValLoss), percent(s.ValAccuracy))
	}
	fmt.Fprintf(w, "  %8.2f  %12.0f  %10.4g\n", s.Seconds, s.ExamplesPerSec, s.LearningRate)
}

func percent(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*v)
}

func fixed(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.6f", v)
}

// writeHistory writes the history as CSV, losses at full precision (%.17g)
// so that runs compare digit for digit; figures that do not apply are empty.
func writeHistory(w io.Writer, hist engine.History) error {
	full := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', 17, 64)
	}
	if _, err := fmt.Fprintln(w, "epoch,loss,train_acc,val_loss,val_acc,seconds,examples_per_s,lr"); err != nil {
		return err
	}
	for _, s := range hist {
		if _, err := fmt.Fprintf(w, "%d,%s,%s,%s,%s,%.6f,%.1f,%s\n", s.Epoch, full(s.Loss), full(s.TrainAccuracy),
			full(s.ValLoss), full(s.ValAccuracy), s.Seconds, s.ExamplesPerSec, full(s.LearningRate)); err != nil {
			return err
		}
	}
	return nil
}

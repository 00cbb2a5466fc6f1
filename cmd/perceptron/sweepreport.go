package main

import (
	"encoding/csv"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// sweepRow is a fit in sweep's table, its JSON and its CSV.
type sweepRow struct {
	Rank     int               `json:"rank"`
	Fit      int               `json:"fit"`
	Label    string            `json:"label"`
	Values   map[string]string `json:"values,omitempty"` // the list flags' values
	LR       float64           `json:"lr"`               // the rate trained with (--lr find's suggestion)
	Loss     *float64          `json:"best_loss"`        // the best validation loss, or training loss without validation
	Accuracy *float64          `json:"best_accuracy"`    // the validation accuracy at that epoch (the training's without validation)
	Epoch    int               `json:"best_epoch"`
	Epochs   int               `json:"epochs"` // run
	Seconds  float64           `json:"seconds"`
	Test     *metricsJSON      `json:"test,omitempty"`
	Status   string            `json:"status"` // ok, stalled, diverged, or the fit's error
	Model    string            `json:"model,omitempty"`
}

// rows returns the fits' rows, best first.
func (r *sweepRun) rows() []sweepRow {
	fits := slices.Clone(r.fits)
	slices.SortStableFunc(fits, func(a, b *sweepFit) int {
		if better(a, b) {
			return -1
		}
		return 1
	})
	rows := make([]sweepRow, len(fits))
	for i, f := range fits {
		loss, epoch := f.score()
		row := sweepRow{Rank: i + 1, Fit: f.n, Label: f.label, Values: f.values, LR: f.flags.lr.rate, Loss: num(loss), Epoch: epoch,
			Epochs: len(f.hist), Seconds: f.seconds, Test: f.sum.Test, Status: "ok", Model: f.model}
		for _, s := range f.hist {
			if s.Epoch == epoch {
				row.Accuracy = num(s.ValAccuracy)
				if math.IsNaN(s.ValLoss) {
					row.Accuracy = num(s.TrainAccuracy)
				}
			}
		}
		switch {
		case f.diverged():
			row.Status = "diverged"
		case f.stalled():
			row.Status = "stalled"
		case f.err != nil:
			row.Status = f.err.Error()
		}
		rows[i] = row
	}
	return rows
}

// report writes the best model to out, the picture and the CSV, and prints
// the table (or, with asJSON, the JSON). It fails when no fit trained.
func (r *sweepRun) report(out, plotPath string, asJSON bool, stdout, stderr io.Writer) error {
	rows := r.rows()
	if r.best == nil {
		return fmt.Errorf("no fit of the sweep trained: fit %d (%s): %w", r.fits[0].n, r.fits[0].label, r.fits[0].err)
	}
	var wrote []string
	for _, o := range []struct {
		path  string
		write func(io.Writer) error
	}{
		{out, func(w io.Writer) error { return modelfile.Encode(w, *r.best) }},
		{plotPath, func(w io.Writer) error { return plotSweep(w, r.fits) }},
		{r.csv, func(w io.Writer) error { return writeSweepCSV(w, rows) }},
	} {
		if o.path == "" {
			continue
		}
		if err := modelfile.WriteAtomic(o.path, o.write); err != nil {
			return err
		}
		wrote = append(wrote, o.path)
	}
	if asJSON {
		return writeJSON(stdout, struct {
			Threads int        `json:"threads"`
			Fits    []sweepRow `json:"fits"`
			Best    int        `json:"best_fit"`
			Wrote   []string   `json:"wrote"`
		}{r.threads, rows, r.fits[r.bestAt].n, wrote})
	}
	fmt.Fprintf(stdout, "%4s  %4s  %-30s  %10s  %9s  %5s  %8s  %s\n", "rank", "fit", "what differs", "best_loss", "accuracy", "epoch", "seconds", "status")
	for _, row := range rows {
		fmt.Fprintf(stdout, "%4d  %4d  %-30s  %10s  %9s  %5d  %8.2f  %s\n", row.Rank, row.Fit, row.Label, fixed(orNaN(row.Loss)),
			percent(orNaN(row.Accuracy)), row.Epoch, row.Seconds, row.Status)
	}
	if slices.ContainsFunc(r.fits, func(f *sweepFit) bool { return f.sum.Target != nil }) {
		fmt.Fprintln(stderr, "perceptron: note: best_loss is of the standardised labels (--scale-target standard), which the fits rank by; "+
			"test_loss (in --csv) is in the labels' units")
	}
	fmt.Fprintf(stderr, "perceptron: best: fit %d (%s); wrote %v\n", r.fits[r.bestAt].n, r.fits[r.bestAt].label, wrote)
	return nil
}

func orNaN(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

// writeSweepCSV writes the table as CSV, figures at full precision.
func writeSweepCSV(w io.Writer, rows []sweepRow) error {
	c := csv.NewWriter(w)
	var names []string
	for _, name := range listFlags {
		if len(rows) > 0 && rows[0].Values[name] != "" {
			names = append(names, name)
		}
	}
	full := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', 17, 64)
	}
	header := append([]string{"rank", "fit", "label"}, names...)
	header = append(header, "lr_trained", "best_loss", "best_accuracy", "best_epoch", "epochs", "seconds", "test_loss", "test_accuracy", "status", "model")
	if err := c.Write(header); err != nil {
		return err
	}
	for _, row := range rows {
		rec := []string{strconv.Itoa(row.Rank), strconv.Itoa(row.Fit), row.Label}
		for _, name := range names {
			rec = append(rec, row.Values[name])
		}
		var testLoss, testAcc *float64
		if row.Test != nil {
			testLoss, testAcc = row.Test.Loss, row.Test.Accuracy
		}
		rec = append(rec, strconv.FormatFloat(row.LR, 'g', -1, 64), full(row.Loss), full(row.Accuracy), strconv.Itoa(row.Epoch),
			strconv.Itoa(row.Epochs), strconv.FormatFloat(row.Seconds, 'f', 3, 64), full(testLoss), full(testAcc), row.Status, row.Model)
		if err := c.Write(rec); err != nil {
			return err
		}
	}
	c.Flush()
	return c.Error()
}

// maxLegend is the most fits whose labels the picture lists.
const maxLegend = 16

// plotSweep draws every fit's training loss (solid) and validation loss
// (dashed) per epoch on a log loss axis, a colour per fit labelled by what
// differs; a diverged fit's last point is a red cross, and "diverged" in
// its label; a stalled fit's last point is a ring, and "stalled" in its
// label.
func plotSweep(w io.Writer, fits []*sweepFit) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%d fits", len(fits))
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "mean loss (log scale); solid: training, dashed: validation"
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	lowest := math.Inf(1) // the log axis needs positive losses: a loss of 0 is drawn at the lowest one
	for _, f := range fits {
		for _, s := range f.hist {
			for _, v := range []float64{s.Loss, s.ValLoss} {
				if v > 0 && v < lowest {
					lowest = v
				}
			}
		}
	}
	for i, f := range fits {
		c := plotutil.Color(i)
		label := f.label
		switch {
		case f.diverged():
			label += " (diverged)"
		case f.stalled():
			label += " (stalled)"
		}
		var named bool
		for k, pick := range []func(int) float64{func(e int) float64 { return f.hist[e].Loss }, func(e int) float64 { return f.hist[e].ValLoss }} {
			var xys plotter.XYs
			for e := range f.hist {
				v := pick(e)
				if math.IsNaN(v) || math.IsInf(v, 0) {
					continue
				}
				xys = append(xys, plotter.XY{X: float64(f.hist[e].Epoch), Y: max(v, lowest)})
			}
			if len(xys) == 0 {
				continue
			}
			line, err := plotter.NewLine(xys)
			if err != nil {
				return err
			}
			line.Color, line.Width = c, vg.Points(1.5)
			if k == 1 {
				line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			}
			p.Add(line)
			if !named && len(fits) <= maxLegend {
				p.Legend.Add(label, line)
				named = true
			}
			if k == 0 && (f.diverged() || f.stalled()) {
				mark, err := plotter.NewScatter(xys[len(xys)-1:])
				if err != nil {
					return err
				}
				mark.Color, mark.Shape, mark.Radius = color.RGBA{R: 220, A: 255}, draw.CrossGlyph{}, vg.Points(6)
				if f.stalled() {
					mark.Color, mark.Shape = c, draw.RingGlyph{}
				}
				p.Add(mark)
			}
		}
	}
	if len(fits) > maxLegend {
		p.Title.Text += fmt.Sprintf(" (labels in the table: more than %d); diverged: a red cross; stalled: a ring", maxLegend)
	}
	return writePNG(w, p, vg.Points(900), vg.Points(560))
}

package main

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// findHelp describes --lr find.
const findHelp = "the range test of fastai's lr_find (rates from 1e-7 to 10 over --find-steps steps of at least 32 examples, " +
	"stopped when the smoothed loss passes 4 times its least), then training at the rate of the steepest descent of the smoothed loss, from the same initial parameters"

// suggestionMethod says how the range test chose its rate.
const suggestionMethod = "steepest descent of the smoothed loss against log(rate): the most negative np.gradient, first 10 and last step left out (Lightning's suggestion)"

// rateFlag is --lr: a learning rate, or find.
type rateFlag struct {
	rate float64
	find bool
}

func (r *rateFlag) String() string {
	if r.find {
		return "find"
	}
	return strconv.FormatFloat(r.rate, 'g', -1, 64)
}

func (r *rateFlag) Set(s string) error {
	if s == "find" {
		*r = rateFlag{find: true}
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("expected a number or find, found %q", s)
	}
	*r = rateFlag{rate: v}
	return nil
}

// findOutput is --find-plot as an output of --lr find (none without it).
// findRate writes it, not write.
func (f *trainFlags) findOutput() output {
	if !f.lr.find {
		return output{flag: "--find-plot"}
	}
	return output{"--find-plot", f.findPlot, false}
}

// findRate, with --lr find, runs the range test on a copy of the network
// with a generator of its own (seeded as the fit's), so that the fit then
// starts from the same parameters and draws the same shuffles as train
// --lr with the rate found. It sets that rate, records it in the settings a
// checkpoint keeps, prints it, and writes --find-plot.
func (t *training) findRate() error {
	if !t.lr.find {
		return nil
	}
	if t.comm != nil { // (a resumed fit's --lr is the checkpoint's rate: applyResume refuses find)
		return withHint(errors.New("--lr find runs on one process"), "run train --lr find alone, then the data-parallel fit with --lr set to the rate it suggests")
	}
	rt := engine.DefaultRangeTest()
	rt.Steps = t.findSteps
	cfg := t.cfg
	var err error
	if cfg.RNG, err = newRNG(t.rng, t.seed); err != nil {
		return err
	}
	cfg.Backend = t.be
	res, err := engine.FindRate(t.sig.ctx, t.net, t.trainSet, cfg, rt)
	if err != nil {
		if len(res.Rates) > 0 {
			return withHint(fmt.Errorf("--lr find: %w", err), "the loss explodes at the smallest rates: check the data's scale (--scale standard) and the loss")
		}
		return fmt.Errorf("--lr find: %w", err)
	}
	t.found = &res
	t.lr.rate, t.cfg.LearningRate = res.Suggested, res.Suggested
	t.settings["lr"] = strconv.FormatFloat(res.Suggested, 'g', -1, 64) // a checkpoint records the rate found
	if !t.json {
		fmt.Fprintf(t.stdout, "lr find: %s\n", describeRange(res))
	}
	if t.findPlot == "" || !t.leads() {
		return nil
	}
	if err := modelfile.WriteAtomic(t.findPlot, func(w io.Writer) error { return plotRange(w, res) }); err != nil {
		return err
	}
	t.say("perceptron: wrote %s\n", t.findPlot)
	return nil
}

// describeRange says what the range test suggested and how it chose.
func describeRange(res engine.RangeResult) string {
	end := fmt.Sprintf("ran all %d steps to rate %.3g", len(res.Rates), res.Rates[len(res.Rates)-1])
	if res.Stopped {
		end = fmt.Sprintf("the loss exploded at step %d, rate %.3g", len(res.Rates), res.Rates[len(res.Rates)-1])
	}
	return fmt.Sprintf("suggested --lr %s, at step %d (smoothed loss %.4g); %s; chosen at the %s",
		strconv.FormatFloat(res.Suggested, 'g', -1, 64), res.Index+1, res.Smoothed[res.Index], end, suggestionMethod)
}

// rangeJSON is --lr find's range test in train's JSON summary.
type rangeJSON struct {
	Suggested float64    `json:"suggested"`
	Step      int        `json:"step"` // of the suggestion, from 1
	Steps     int        `json:"steps"`
	Stopped   bool       `json:"stopped"` // the loss exploded before the last step
	Method    string     `json:"method"`
	Rates     []float64  `json:"rates"`
	Losses    []*float64 `json:"losses"` // null where the loss was not finite
	Smoothed  []*float64 `json:"smoothed"`
}

// rangeJSON returns the range test of --lr find in JSON (nil: none).
func (t *training) rangeJSON() *rangeJSON {
	res := t.found
	if res == nil {
		return nil
	}
	r := &rangeJSON{Suggested: res.Suggested, Step: res.Index + 1, Steps: len(res.Rates), Stopped: res.Stopped, Method: suggestionMethod, Rates: res.Rates}
	for i := range res.Losses {
		r.Losses, r.Smoothed = append(r.Losses, num(res.Losses[i])), append(r.Smoothed, num(res.Smoothed[i]))
	}
	return r
}

// plotRange draws the range test as a PNG: the loss and the smoothed loss
// against the rate on a log axis, the suggestion marked.
func plotRange(w io.Writer, res engine.RangeResult) error {
	p := plot.New()
	p.Title.Text = "Learning-rate range test"
	p.X.Label.Text = "learning rate (log scale)"
	p.Y.Label.Text = "loss"
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	var raw, smooth plotter.XYs
	for i, r := range res.Rates {
		if !math.IsInf(res.Losses[i], 0) && !math.IsNaN(res.Losses[i]) {
			raw = append(raw, plotter.XY{X: r, Y: res.Losses[i]})
		}
		if !math.IsInf(res.Smoothed[i], 0) && !math.IsNaN(res.Smoothed[i]) {
			smooth = append(smooth, plotter.XY{X: r, Y: res.Smoothed[i]})
		}
	}
	for _, s := range []struct {
		name  string
		xys   plotter.XYs
		color color.RGBA
		width vg.Length
	}{{"loss", raw, color.RGBA{R: 160, G: 160, B: 160, A: 255}, 1}, {"smoothed", smooth, color.RGBA{B: 200, A: 255}, 2}} {
		if len(s.xys) == 0 {
			continue
		}
		line, err := plotter.NewLine(s.xys)
		if err != nil {
			return err
		}
		line.Color, line.Width = s.color, s.width
		p.Add(line)
		p.Legend.Add(s.name, line)
	}
	mark, err := plotter.NewScatter(plotter.XYs{{X: res.Suggested, Y: res.Smoothed[res.Index]}})
	if err != nil {
		return err
	}
	mark.Color, mark.Shape, mark.Radius = color.RGBA{R: 220, A: 255}, draw.CircleGlyph{}, vg.Points(5)
	p.Add(mark)
	p.Legend.Add(fmt.Sprintf("suggested %.3g", res.Suggested), mark)
	p.Legend.Top = true
	return writePNG(w, p, vg.Points(600), vg.Points(400))
}

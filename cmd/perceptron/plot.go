package main

import (
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/perceptron-go/perceptron/engine"
)

// plotHistory draws the loss and accuracy curves side by side as a PNG.
func plotHistory(w io.Writer, hist engine.History) error {
	loss, err := curvePlot("Loss", "mean loss", hist, func(s engine.EpochStats) (float64, float64) { return s.Loss, s.ValLoss })
	if err != nil {
		return err
	}
	acc, err := curvePlot("Accuracy", "fraction correct", hist, func(s engine.EpochStats) (float64, float64) { return s.TrainAccuracy, s.ValAccuracy })
	if err != nil {
		return err
	}
	img := vgimg.New(vg.Points(900), vg.Points(360))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(20), PadY: vg.Points(10), PadTop: vg.Points(10), PadBottom: vg.Points(10), PadLeft: vg.Points(10), PadRight: vg.Points(10)}
	canvases := plot.Align([][]*plot.Plot{{loss, acc}}, tiles, dc)
	loss.Draw(canvases[0][0])
	acc.Draw(canvases[0][1])
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// curvePlot plots the training and validation series that pick returns per
// epoch; a series that is NaN throughout is left out.
func curvePlot(title, ylabel string, hist engine.History, pick func(engine.EpochStats) (train, val float64)) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = ylabel
	p.Legend.Top = title == "Loss" // loss falls and accuracy rises: keep the legend clear of the curves
	var train, val plotter.XYs
	for _, s := range hist {
		t, v := pick(s)
		if !math.IsNaN(t) {
			train = append(train, plotter.XY{X: float64(s.Epoch), Y: t})
		}
		if !math.IsNaN(v) {
			val = append(val, plotter.XY{X: float64(s.Epoch), Y: v})
		}
	}
	var series []any
	if len(train) > 0 {
		series = append(series, "train", train)
	}
	if len(val) > 0 {
		series = append(series, "validation", val)
	}
	if len(series) == 0 {
		return p, nil
	}
	return p, plotutil.AddLinePoints(p, series...)
}

// writePNG draws p as a PNG of the given size.
func writePNG(w io.Writer, p *plot.Plot, width, height vg.Length) error {
	wt, err := p.WriterTo(width, height, "png")
	if err != nil {
		return err
	}
	_, err = wt.WriteTo(w)
	return err
}

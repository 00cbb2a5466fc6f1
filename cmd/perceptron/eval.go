package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

func eval(args []string, stdout, stderr io.Writer) error {
	var data dataFlags
	var model, backend string
	var seed uint64
	var asJSON bool
	fs, parse := newFlags("eval", "--model PATH --data SPEC [flags]", stderr)
	data.register(fs, false)
	fs.StringVar(&model, "model", "", "model file written by perceptron train")
	fs.StringVar(&backend, "backend", "auto", "auto, cpu or cuda")
	fs.Uint64Var(&seed, "seed", 1, "seed of synthetic data")
	fs.BoolVar(&asJSON, "json", false, "print the metrics as JSON")
	if err := parse(args); err != nil {
		return err
	}
	if model == "" {
		return withHint(errors.New("eval: no --model given"), "perceptron eval --model model.safetensors --data mnist")
	}
	if err := data.check(givenFlags(fs), false); err != nil {
		return err
	}
	m, err := modelfile.Load(model)
	if err != nil {
		return err
	}
	p, err := data.loadEval(seed, m.Prep)
	if err != nil {
		return err
	}
	for _, note := range p.notes {
		fmt.Fprintf(stderr, "perceptron: note: %s\n", note)
	}
	set := p.test
	if set.Features != m.Network.Spec.Inputs {
		return fmt.Errorf("%s has %d features per example but the model %s takes %d inputs", data.spec, set.Features, model, m.Network.Spec.Inputs)
	}
	be, err := openBackend(backend)
	if err != nil {
		return err
	}
	pr, err := m.Predictor(be) // applies the model's scaler to the examples
	if err != nil {
		return err
	}
	defer pr.Close()
	met, err := engine.EvaluatePredictor(pr, set)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(stdout, metricsJSON{N: met.N, Kind: kind(m.Network.Spec, set), Classes: set.ClassNames, Loss: num(met.Loss), Accuracy: num(met.Accuracy),
			Precision: met.Precision, Recall: met.Recall, F1: met.F1, Confusion: met.Confusion,
			MAE: num(met.MAE), RMSE: num(met.RMSE), R2: num(met.R2)})
	}
	fmt.Fprintf(stdout, "model     %s\n", kind(m.Network.Spec, set))
	printMetrics(stdout, met, set.ClassNames)
	return nil
}

// kind says whether a network is evaluated on a set as a classifier or a
// regression, and why, as engine.Evaluate decides.
func kind(spec engine.Spec, set *dataset.Set) string {
	out := spec.Layers[len(spec.Layers)-1].Activation
	switch {
	case !spec.Classifier():
		return fmt.Sprintf("regression (a %s output layer)", out)
	case set.Classes == 0:
		return fmt.Sprintf("classifier (a %s output layer), on labels that are not classes: regression figures", out)
	}
	return fmt.Sprintf("classifier (a %s output layer)", out)
}

// printMetrics prints the loss and, for a classification, the accuracy,
// per-class table and confusion matrix, the classes by their names (nil:
// their indices); for a regression, its figures.
func printMetrics(w io.Writer, m engine.Metrics, names []string) {
	fmt.Fprintf(w, "examples  %d\nloss      %.6f\n", m.N, m.Loss)
	if m.Confusion == nil {
		fmt.Fprintf(w, "mae       %.6f\nrmse      %.6f\nr2        %.6f\n", m.MAE, m.RMSE, m.R2)
		return
	}
	name := func(c int) string {
		if c < len(names) {
			return names[c]
		}
		return strconv.Itoa(c)
	}
	width := 5
	for c := range m.Confusion {
		width = max(width, len(name(c)))
	}
	fmt.Fprintf(w, "accuracy  %.2f%%\n\n%*s  %9s  %7s  %7s  %7s\n", 100*m.Accuracy, width, "class", "precision", "recall", "f1", "support")
	for c := range m.Confusion {
		support := 0
		for _, n := range m.Confusion[c] {
			support += n
		}
		fmt.Fprintf(w, "%*s  %9.4f  %7.4f  %7.4f  %7d\n", width, name(c), m.Precision[c], m.Recall[c], m.F1[c], support)
	}
	cell := 6
	for c := range m.Confusion {
		cell = max(cell, len(name(c)))
	}
	fmt.Fprintf(w, "\nconfusion matrix (rows: true class, columns: predicted)\n%*s", width, "")
	for c := range m.Confusion {
		fmt.Fprintf(w, " %*s", cell, name(c))
	}
	fmt.Fprintln(w)
	for c, row := range m.Confusion {
		fmt.Fprintf(w, "%*s", width, name(c))
		for _, n := range row {
			fmt.Fprintf(w, " %*d", cell, n)
		}
		fmt.Fprintln(w)
	}
}

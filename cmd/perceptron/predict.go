package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

func predict(args []string, stdout, stderr io.Writer) error {
	var model, input, backend string
	var class bool
	var table tableFlags
	fs, parse := newFlags("predict", "--model PATH --input CSV [flags]", stderr)
	fs.StringVar(&model, "model", "", "model file written by perceptron train")
	fs.StringVar(&input, "input", "", "CSV of rows to predict, its columns matched by name to the model's (a model without preprocessing: the features only, no label); - reads standard input")
	table.registerReading(fs)
	fs.StringVar(&backend, "backend", "auto", "auto, cpu or cuda")
	fs.BoolVar(&class, "class", false, "print the predicted class instead of the outputs")
	if err := parse(args); err != nil {
		return err
	}
	if model == "" || input == "" {
		return withHint(errors.New("predict: needs --model and --input"), "perceptron predict --model model.safetensors --input rows.csv")
	}
	m, err := modelfile.Load(model)
	if err != nil {
		return err
	}
	if _, err := table.readOptions(); err != nil {
		return err
	}
	p, err := table.applyTable(input, m.Prep, false)
	if err != nil {
		return err
	}
	for _, note := range p.notes {
		fmt.Fprintf(stderr, "perceptron: note: %s\n", note)
	}
	set, in := p.test, m.Network.Spec.Inputs
	if set.Features != in {
		return fmt.Errorf("%s: rows have %d columns, but the model %s takes %d inputs (give the features only, no label)", input, set.Features, model, in)
	}
	be, err := openBackend(backend)
	if err != nil {
		return err
	}
	pr, err := m.Predictor(be) // applies the model's scaler to the rows
	if err != nil {
		return err
	}
	defer pr.Close()
	out := make([]float64, set.N*pr.Outputs())
	predictRows := pr.PredictInto // the rows as read; the model's scaler applies
	if m.Prep != nil {
		predictRows = pr.PredictFeatures // the features the model's preprocessing made of the table
	}
	if err := predictRows(out, set.Float64s()); err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	k := m.Network.Spec.Outputs()
	names := pr.ClassNames()
	for i := 0; i < set.N; i++ {
		o := out[i*k : (i+1)*k]
		if class {
			c := engine.PredictedClass(o)
			if c < len(names) {
				fmt.Fprintln(w, names[c])
			} else {
				fmt.Fprintln(w, c)
			}
			continue
		}
		for j, v := range o {
			if j > 0 {
				w.WriteByte(',')
			}
			w.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		w.WriteByte('\n')
	}
	return w.Flush()
}

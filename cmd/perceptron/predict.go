package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

func predict(args []string, stdout, stderr io.Writer) error {
	var model, input, backend string
	var class bool
	fs, parse := newFlags("predict", "--model PATH --input CSV [flags]", stderr)
	fs.StringVar(&model, "model", "", "model file written by perceptron train")
	fs.StringVar(&input, "input", "", "CSV of feature rows (no label column; an optional header); - reads standard input")
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
	r, name := io.Reader(os.Stdin), "stdin"
	if input != "-" {
		file, err := os.Open(input)
		if err != nil {
			return err
		}
		defer file.Close()
		r, name = file, input
	}
	_, rows, err := dataset.ReadNumericCSV(r, name)
	if err != nil {
		return err
	}
	in := m.Network.Spec.Inputs
	if len(rows[0]) != in {
		return fmt.Errorf("%s: rows have %d columns, but the model %s takes %d inputs (give the features only, no label)", name, len(rows[0]), model, in)
	}
	x := make([]float64, 0, len(rows)*in)
	for _, row := range rows {
		x = append(x, row...)
	}
	if m.Scaler != nil {
		m.Scaler.Apply(x)
	}
	be, err := openBackend(backend)
	if err != nil {
		return err
	}
	out, err := engine.Predict(be, m.Network, x, len(rows))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	k := m.Network.Spec.Outputs()
	for i := range rows {
		o := out[i*k : (i+1)*k]
		if class {
			fmt.Fprintln(w, engine.PredictedClass(o))
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

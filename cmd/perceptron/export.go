package main

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/perceptron-go/perceptron/engine/modelfile"
	"github.com/perceptron-go/perceptron/engine/onnx"
)

func export(args []string, stdout, stderr io.Writer) error {
	var model, format, out string
	var opset int
	fs, parse := newFlags("export", "--model PATH --format onnx --out PATH [--opset N]", stderr)
	fs.StringVar(&model, "model", "", "model file written by perceptron train")
	fs.StringVar(&format, "format", "onnx", "the format to write: onnx")
	fs.IntVar(&opset, "opset", onnx.DefaultOpset, fmt.Sprintf("ONNX operator set version, %d to %d", onnx.MinOpset, onnx.MaxOpset))
	fs.StringVar(&out, "out", "", "file to write (atomically)")
	if err := parse(args); err != nil {
		return err
	}
	if model == "" || out == "" {
		return withHint(errors.New("export: needs --model and --out"), "perceptron export --model model.safetensors --format onnx --out model.onnx")
	}
	if format != "onnx" {
		return withHint(fmt.Errorf("export: unknown format %q", format), "the formats are: onnx")
	}
	if opset < onnx.MinOpset || opset > onnx.MaxOpset {
		return withHint(fmt.Errorf("export: opset %d is not supported", opset), fmt.Sprintf("give --opset %d to %d (ONNX Runtime 1.10 and later run all of them)", onnx.MinOpset, onnx.MaxOpset))
	}
	if err := modelfile.CheckWritable(out); err != nil {
		return err
	}
	m, err := modelfile.Load(model)
	if err != nil {
		return err
	}
	if err := onnx.Save(out, m, onnx.Options{Opset: opset, Version: buildVersion()}); err != nil {
		return err
	}
	if m.Prep != nil {
		fmt.Fprintf(stderr, "perceptron: note: %s takes the features the preprocessing makes, with numbers as read (NaN where missing): one-hot encode the categorical columns yourself (the metadata's feature_names and preprocessing list the categories)\n", out)
	}
	fmt.Fprintf(stdout, "wrote %s\n", out)
	return nil
}

// buildVersion returns perceptron's module version, "(devel)" for a build
// from a work tree.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

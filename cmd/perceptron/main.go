package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = `perceptron trains multilayer perceptrons by stochastic gradient descent.

Usage:
  perceptron train   [flags]   train a network and write the model, history and curves
  perceptron sweep   [flags]   train every combination of lists of train's flags at once, with the picture of their losses
  perceptron eval    --model PATH --data SPEC      loss, accuracy, per-class metrics, confusion matrix
  perceptron predict --model PATH --input CSV      one line of outputs per input row
  perceptron export  --model PATH --format onnx --out PATH   the model as ONNX (scaling as nodes)
  perceptron serve   --model PATH [--addr HOST:PORT]  serve it over KServe's Open Inference Protocol (v2 REST)
  perceptron info                                   version, build tags, backends, GPUs found
  perceptron bench   [--workload W1,W2,W2s,W3,W2a]      training speed of the benchmark workloads per backend

Examples:
  perceptron train                                  MNIST, 784-128(relu)-10(softmax), per-example SGD
  perceptron train --data synthetic:moons --layers 16:relu,16:relu,1:sigmoid --epochs 50
  perceptron train --data csv:iris.csv --batch 16 --lr 0.05
  perceptron train --data npz:mnist.npz --epochs 5     keras.datasets' x_train, y_train, x_test, y_test
  perceptron train --data npz:new.npz --init-from model.safetensors --epochs 3   a warm start from a trained model
  perceptron train --optimizer adam --batch 32 --tensorboard runs/adam   TensorBoard curves: tensorboard --logdir runs
  perceptron sweep --preset course --lr 0.001,0.01,0.1,1 --epochs 50   the course's picture: sweep.png
  perceptron train --data synthetic:moons --lr find     the learning-rate range test, then the fit at its rate
  perceptron eval --model model.safetensors --data mnist
  perceptron predict --model model.safetensors --input rows.csv
  perceptron export --model model.safetensors --format onnx --out model.onnx
  perceptron serve --model model.safetensors --addr 127.0.0.1:8080

Data SPEC: mnist | csv:PATH | npz:PATH | npy:X.npy,Y.npy | synthetic:NAME (xor, moons, circles, spirals, blobs).
Run 'perceptron COMMAND -h' for a command's flags.
`

func main() {
	setGCPercent()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	commands := map[string]func([]string, io.Writer, io.Writer) error{
		"train": train, "sweep": sweep, "eval": eval, "predict": predict, "info": info, "bench": bench, "export": export, "serve": serveCommand,
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return fail(stderr, withHint(fmt.Errorf("unknown command %q", args[0]), "the commands are train, sweep, eval, predict, export, serve, info and bench: run perceptron -h"))
	}
	return exitStatus(cmd(args[1:], stdout, stderr), stderr)
}

// exitStatus returns the exit status of a command that ended with err,
// printing err unless it has been printed.
func exitStatus(err error, stderr io.Writer) int {
	var stopped interrupted
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &stopped):
		return stopped.status()
	case errors.As(err, new(reported)):
		return 1
	}
	return fail(stderr, err)
}

// hinted is an error with advice on what to do about it.
type hinted struct {
	err  error
	hint string
}

func (h hinted) Error() string { return h.err.Error() }
func (h hinted) Unwrap() error { return h.err }

func withHint(err error, hint string) error { return hinted{err, hint} }

// fail prints err as "perceptron: error: …" (and its hint) and returns status 1.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "perceptron: error: %s\n", strings.TrimSpace(err.Error()))
	var h hinted
	if errors.As(err, &h) {
		fmt.Fprintf(stderr, "perceptron: hint: %s\n", h.hint)
	}
	return 1
}

// newFlags returns a flag set that reports errors instead of printing them,
// and the function that parses a command's arguments with it: -h prints the
// synopsis and flags; a bad flag or argument becomes an error with a hint.
func newFlags(name, synopsis string, stderr io.Writer) (*flag.FlagSet, func(args []string) error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	parse := func(args []string) error {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			fmt.Fprintf(stderr, "usage: perceptron %s %s\n\n", name, synopsis)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return err
		case err != nil:
			return withHint(fmt.Errorf("%s: %w", name, err), "run perceptron "+name+" -h for its flags")
		case fs.NArg() > 0:
			return withHint(fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0)), "flags take the form --name value; run perceptron "+name+" -h")
		}
		return nil
	}
	return fs, parse
}

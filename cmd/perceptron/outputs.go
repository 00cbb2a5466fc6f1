package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// output is a file a command writes: the flag that names it, its path, and
// whether a fit cut short writes it beside an existing file (--on-interrupt).
type output struct {
	flag, path string
	beside     bool
}

// checkOutputs refuses, before any work is done, outputs that would destroy
// a file or cannot be written: a path that is not a regular file or whose
// folder is missing or read-only (modelfile.CheckWritable), a path that is
// one of the command's inputs, and two outputs that are the same file. With
// beside, the paths an interrupted fit writes beside existing files are
// checked too, for the outputs it writes there.
func checkOutputs(outs []output, inputs []string, beside bool) error {
	var all []output
	for _, o := range outs {
		all = append(all, o)
		if beside && o.beside {
			all = append(all, output{o.flag + " (an interrupted fit's)", besidePath(o.path), false})
		}
	}
	for i, o := range all {
		if err := modelfile.CheckWritable(o.path); err != nil {
			return fmt.Errorf("%s: %w", o.flag, err)
		}
		for _, in := range inputs {
			if samePath(o.path, in) {
				return withHint(fmt.Errorf("%s %s is the input %s: perceptron never writes over its inputs", o.flag, o.path, in),
					"choose another output path")
			}
		}
		for _, p := range all[:i] {
			if samePath(o.path, p.path) {
				return fmt.Errorf("%s and %s both name %s: each output needs a path of its own", p.flag, o.flag, o.path)
			}
		}
	}
	return nil
}

// samePath reports whether a and b name the same file: the same absolute
// path, or the same existing file (through links).
func samePath(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	if errA == nil && errB == nil && absA == absB {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// besidePath returns where an interrupted fit writes path's file when path
// already holds one: model.safetensors → model.interrupted.safetensors.
func besidePath(path string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + ".interrupted" + ext
}

package main

import (
	"fmt"
	"os"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/tensorboard"
)

const tensorboardHelp = "folder to write TensorBoard event files to (made if need be): per epoch, loss/train, loss/validation, accuracy/train, " +
	"accuracy/validation, learning_rate and examples_per_second, at step = the epoch; a resumed fit adds a file of its own (tensorboard --logdir DIR; empty: none)"

// checkLogDir refuses a --tensorboard path that exists and is not a folder,
// before anything is read or trained.
func checkLogDir(dir string) error {
	if dir == "" {
		return nil
	}
	if info, err := os.Stat(dir); err == nil && !info.IsDir() {
		return withHint(fmt.Errorf("--tensorboard %s: not a folder", dir), "give a folder, such as runs/, which is made if it does not exist")
	}
	return nil
}

// logEvents, on the process that writes, opens an event file in the
// --tensorboard folder and has each epoch written to it after the fit's
// other EpochDone. A write that fails ends the log, not the fit: it is
// said on stderr as it happens, and kept in t.logFailed, which ends the
// command with status 1 once the model and the other outputs are written.
// It returns what closes the file, and adds the file to what the run
// wrote.
func (t *training) logEvents() (closeLog func(), err error) {
	if t.tensorboard == "" || !t.leads() {
		return func() {}, nil
	}
	w, err := tensorboard.Create(t.tensorboard)
	if err != nil {
		return nil, fmt.Errorf("--tensorboard: %w", err)
	}
	t.eventFile = w.Path()
	next := t.cfg.EpochDone
	t.cfg.EpochDone = func(s engine.EpochStats) {
		if next != nil {
			next(s)
		}
		if w == nil {
			return
		}
		if err := w.Epoch(s); err != nil {
			t.logFailed = fmt.Errorf("%w; the epochs from %d on are not logged", err, s.Epoch)
			fmt.Fprintf(t.stderr, "perceptron: warning: %v; the fit goes on, and train exits with status 1 once its outputs are written\n", t.logFailed)
			w.Close()
			w = nil
		}
	}
	return func() {
		if w != nil {
			if err := w.Close(); err != nil {
				t.logFailed = err
			}
		}
	}, nil
}

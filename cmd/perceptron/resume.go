package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// settingFlags are the flags that define a fit. A checkpoint records their
// values, and train --resume takes them from it: a fit resumes only as the
// same fit (the outputs, the backend and the messages may change, and
// --epochs may grow).
var settingFlags = []string{
	"data", "mnist-dir", "label-col", "samples", "noise", "test-split", "val-split", "scale",
	"layers", "loss", "init", "dtype", "rng", "seed", "epochs", "lr", "batch",
	"optimizer", "momentum", "nesterov", "beta1", "beta2", "eps", "weight-decay",
	"lr-schedule", "warmup-epochs", "early-stop", "min-delta", "class-weight", "init-from",
	"monitor", "clip-grad-norm", "clip-grad-value",
	"sep", "na-values", "categorical", "impute", "max-categories", "weight-col", "drop", "drop-unlabelled", "decimal", "encoding", "scale-target",
}

// laterSettings are the setting flags added after checkpoints were first
// written, with the value a checkpoint that does not record one had.
var laterSettings = map[string]string{"class-weight": "", "init-from": "", "monitor": "val_loss", "clip-grad-norm": "0", "clip-grad-value": "0",
	"sep": "", "na-values": "", "categorical": "", "impute": "median", "max-categories": strconv.Itoa(dataset.DefaultMaxCategories), "weight-col": "", "drop": "", "drop-unlabelled": "false", "decimal": ".", "encoding": "",
	"scale-target": string(dataset.NoScaling)}

// settings returns the values of the setting flags of fs.
func settings(fs *flag.FlagSet) map[string]string {
	s := map[string]string{}
	for _, name := range settingFlags {
		s[name] = fs.Lookup(name).Value.String()
	}
	return s
}

// applyResume sets the setting flags of fs that were not given to the
// values the checkpoint at path records, and refuses a given flag whose
// value differs from the checkpoint's (but --epochs). It marks the flags it
// sets as given.
func applyResume(fs *flag.FlagSet, given map[string]bool, path string, ck modelfile.Checkpoint) error {
	if ck.Settings == nil {
		return fmt.Errorf("--resume %s: the checkpoint records no command-line settings (it was not written by perceptron train)", path)
	}
	var differ []string
	for _, name := range settingFlags {
		stored, ok := ck.Settings[name]
		if !ok {
			stored, ok = laterSettings[name]
		}
		if !ok {
			return fmt.Errorf("--resume %s: the checkpoint records no --%s", path, name)
		}
		stored = legacySetting(name, stored, ck.Settings)
		current := fs.Lookup(name).Value.String()
		switch {
		case stored == current:
		case given[name] && name != "epochs":
			differ = append(differ, fmt.Sprintf("--%s %s (this run: %s)", name, stored, current))
		case !given[name]:
			if err := fs.Set(name, stored); err != nil {
				return fmt.Errorf("--resume %s: the checkpoint's --%s: %w", path, name, err)
			}
			given[name] = true
		}
	}
	if len(differ) > 0 {
		return withHint(fmt.Errorf("--resume %s: the checkpoint is of another fit: it has %s", path, strings.Join(differ, ", ")),
			"give only the flags that may change (--epochs, the outputs, --backend), or none: the checkpoint's are used")
	}
	return nil
}

// legacySetting returns the value of today's flag that does what a setting
// recorded by an earlier perceptron did, so that its checkpoints resume the
// same fit: --val-split -1, the default when the test set validated unless
// --early-stop held 0.1 of the training data out, is 0.1 with early
// stopping and 0 (no validation) without, which trains the same parameters.
func legacySetting(name, stored string, settings map[string]string) string {
	if name == "val-split" && stored == "-1" {
		if settings["early-stop"] != "0" {
			return "0.1"
		}
		return "0"
	}
	return stored
}

// uncheckedData returns the note a resume of the checkpoint at path prints
// when the checkpoint records no checksum of its data (an earlier
// perceptron wrote it), or "".
func uncheckedData(path string, ck *engine.Checkpoint) string {
	if ck.Data != nil {
		return ""
	}
	return fmt.Sprintf("%s records no checksum of its data (an earlier perceptron wrote it): the data could not be checked against the checkpoint's; it resumes if it has as many examples", path)
}

// otherData gives the error of a fit resumed from path on data whose
// checksum differs from the checkpoint's (an *engine.DataError) the
// checkpoint's path and a hint; it returns other errors as they are.
func otherData(err error, path, data string) error {
	var de *engine.DataError
	if !errors.As(err, &de) {
		return err
	}
	return withHint(fmt.Errorf("--resume %s: %w", path, de), // without the engine's "resume: "
		fmt.Sprintf("a checkpoint goes on only with the data it was written with: --data %s now holds other values; restore the file the fit began on, or start a new fit without --resume", data))
}

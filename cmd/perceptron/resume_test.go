package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// rowsCSV returns a CSV of n rows of two features and a class, the first
// feature shifted by shift.
func rowsCSV(n int, shift float64) string {
	var b strings.Builder
	b.WriteString("x,y,label\n")
	for i := range n {
		fmt.Fprintf(&b, "%g,%g,%d\n", float64(i%17)/17+shift, float64(i%5)/5, i%2)
	}
	return b.String()
}

// TestResumeRefusesOtherData rewrites the data file of a checkpointed fit
// with as many rows but other values: the resume is refused naming the
// checksums, with a hint, and leaves the checkpoint and the model at --out
// as they were; the data restored, it resumes.
func TestResumeRefusesOtherData(t *testing.T) {
	dir := t.TempDir()
	data := write(t, dir, "d.csv", rowsCSV(200, 0))
	r := perceptron(t, dir, "train", "--data", "csv:d.csv", "--layers", "4:tanh,1:sigmoid", "--epochs", "2", "--optimizer", "adam",
		"--quiet", "--out", "m.safetensors", "--history", "", "--plot", "", "--checkpoint", "ck.safetensors")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, os.WriteFile(data, []byte(rowsCSV(200, 0.5)), 0o644))
	before := snapshot(t, dir)
	resume := []string{"train", "--resume", "ck.safetensors", "--epochs", "3", "--out", "m.safetensors", "--history", "", "--plot", ""}
	r = perceptron(t, dir, resume...)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Regexp(t, `^perceptron: error: --resume ck.safetensors: the training data differs from the checkpoint's: \d+ examples with crc32c [0-9a-f]{8}, `+
		`this fit's training data crc32c [0-9a-f]{8}: as many examples, other values\nperceptron: hint: a checkpoint goes on only with the data it was written with: `+
		`--data csv:d.csv now holds other values; restore the file the fit began on, or start a new fit without --resume\n$`, tail(r.stderr, 2))
	assert.Equal(t, before, snapshot(t, dir), "a refused resume leaves every file as it was")

	require.NoError(t, os.WriteFile(data, []byte(rowsCSV(200, 0)), 0o644))
	r = perceptron(t, dir, append(resume, "--quiet")...)
	require.Equal(t, 0, r.code, r.stderr)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "") + "\n"
}

// TestResumeRefusesDamagedCheckpoint resumes from a checkpoint cut short
// and with bytes changed, at offsets across its header and each of its
// tensors (the engine/modelfile tests try every offset): each is one clear
// error that names the file, and the checkpoint and the model at --out
// are left byte-identical.
func TestResumeRefusesDamagedCheckpoint(t *testing.T) {
	dir := t.TempDir()
	r := perceptron(t, dir, "train", "--data", "synthetic:moons", "--samples", "100", "--layers", "3:relu,1:sigmoid", "--epochs", "2",
		"--optimizer", "adam", "--early-stop", "5", "--quiet", "--out", "m.safetensors", "--history", "", "--plot", "", "--checkpoint", "good.safetensors")
	require.Equal(t, 0, r.code, r.stderr)
	good, err := os.ReadFile(filepath.Join(dir, "good.safetensors"))
	require.NoError(t, err)
	ck := filepath.Join(dir, "ck.safetensors")
	step := len(good)/24 + 1
	for at := 0; at < len(good); at += step {
		for _, damaged := range [][]byte{good[:at], flipped(good, at)} {
			require.NoError(t, os.WriteFile(ck, damaged, 0o644))
			before := snapshot(t, dir)
			r := perceptron(t, dir, "train", "--resume", "ck.safetensors", "--epochs", "3", "--out", "m.safetensors", "--history", "", "--plot", "")
			assert.Equal(t, 1, r.code, "byte %d: %s", at, r.stderr)
			assert.Regexp(t, `^perceptron: error: --resume: ck.safetensors: \S`, r.stderr, "byte %d", at)
			assert.Equal(t, 1, strings.Count(r.stderr, "perceptron: error: "), "byte %d: %s", at, r.stderr)
			assert.NotContains(t, r.stderr, "panic", "byte %d", at)
			assert.Equal(t, before, snapshot(t, dir), "byte %d: every file is as it was", at)
		}
	}
}

// flipped returns data with the byte at i inverted.
func flipped(data []byte, i int) []byte {
	out := append([]byte(nil), data...)
	out[i] ^= 0xff
	return out
}

// TestResumeUncheckedData resumes a checkpoint that records no checksum of
// its data, as an earlier perceptron wrote them: it resumes, and says the
// data could not be checked.
func TestResumeUncheckedData(t *testing.T) {
	dir := t.TempDir()
	r := perceptron(t, dir, "train", "--data", "synthetic:moons", "--samples", "100", "--layers", "3:relu,1:sigmoid", "--epochs", "1",
		"--quiet", "--out", "", "--history", "", "--plot", "", "--checkpoint", "old.safetensors")
	require.Equal(t, 0, r.code, r.stderr)
	path := filepath.Join(dir, "old.safetensors")
	ck, err := modelfile.LoadCheckpoint(path)
	require.NoError(t, err)
	require.NotNil(t, ck.Fit.Data)
	ck.Fit.Data = nil
	require.NoError(t, modelfile.SaveCheckpoint(path, ck))
	r = perceptron(t, dir, "train", "--resume", "old.safetensors", "--epochs", "2", "--out", "", "--history", "", "--plot", "")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "perceptron: note: old.safetensors records no checksum of its data (an earlier perceptron wrote it): "+
		"the data could not be checked against the checkpoint's; it resumes if it has as many examples\n")
}

package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	le "encoding/binary"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snapshot records every file under dir: its mode and, for a regular file,
// its contents' hash; for a link, its target.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		state := info.Mode().String()
		switch {
		case info.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			state += fmt.Sprintf(" %x", sha256.Sum256(data))
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			state += " → " + target
		}
		files[path] = state
		return nil
	}))
	return files
}

// safetensors returns a file of the JSON header js and the tensor data body.
func safetensors(js string, body []byte) []byte {
	return append(append(le.LittleEndian.AppendUint64(nil, uint64(len(js))), js...), body...)
}

// idxFile returns an IDX file of unsigned bytes, gzipped when zip is set.
func idxFile(dims []uint32, data []byte, zip bool) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		le.Write(&b, le.BigEndian, d)
	}
	b.Write(data)
	if !zip {
		return b.Bytes()
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b.Bytes())
	w.Close()
	return z.Bytes()
}

// mnistDir writes an MNIST folder of 4 training and 2 test 2×2 images under
// dir/name; edit may change the files (by name) before they are written.
func mnistDir(t *testing.T, dir, name string, edit func(files map[string][]byte)) string {
	t.Helper()
	files := map[string][]byte{
		"train-images-idx3-ubyte.gz": idxFile([]uint32{4, 2, 2}, make([]byte, 16), true),
		"train-labels-idx1-ubyte.gz": idxFile([]uint32{4}, []byte{0, 1, 2, 3}, true),
		"t10k-images-idx3-ubyte.gz":  idxFile([]uint32{2, 2, 2}, make([]byte, 8), true),
		"t10k-labels-idx1-ubyte.gz":  idxFile([]uint32{2}, []byte{4, 5}, true),
	}
	if edit != nil {
		edit(files)
	}
	path := filepath.Join(dir, name)
	require.NoError(t, os.Mkdir(path, 0o755))
	for f, data := range files {
		require.NoError(t, os.WriteFile(filepath.Join(path, f), data, 0o644))
	}
	return path
}

// TestHostileInputs runs the binary on inputs and flags a hostile user
// would try. Each must end with exit status 1, exactly one error line naming
// the cause (and at most one hint), nothing else on stderr, and every file
// in the folder exactly as it was.
func TestHostileInputs(t *testing.T) {
	dir := t.TempDir()
	good := "x,y,label\n0,0,0\n1,1,1\n0,1,1\n1,0,0\n0.5,0.5,1\n"
	write(t, dir, "data.csv", good)
	r := perceptron(t, dir, "train", "--data", "csv:data.csv", "--epochs", "1", "--quiet", "--out", "model.safetensors", "--history", "history.csv", "--plot", "")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, os.Symlink("data.csv", filepath.Join(dir, "link.safetensors")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "folder.safetensors"), 0o755))

	meta := func(inputs, layers, dtype, torch string) string {
		return fmt.Sprintf(`{"__metadata__":{"format":"perceptron","version":"1","inputs":"%s","layers":"%s","loss":"bce","dtype":"%s","torch":"%s"}`,
			inputs, layers, dtype, torch)
	}
	write(t, dir, "huge.safetensors", string(safetensors(meta("3000000", "3000000:sigmoid", "float32", "")+"}", nil)))
	write(t, dir, "overflow.safetensors", string(safetensors(meta("4611686018427387904", "4:sigmoid", "float64", "")+"}", nil)))
	write(t, dir, "promise.safetensors", string(safetensors(meta("1000000", "1000:sigmoid", "float64", "nn.Sequential(nn.Linear(1000000, 1000), nn.Sigmoid())")+"}", nil)))
	one := meta("1", "1:sigmoid", "float64", "nn.Sequential(nn.Linear(1, 1), nn.Sigmoid())")
	nan := le.LittleEndian.AppendUint64(nil, math.Float64bits(math.NaN()))
	write(t, dir, "nan.safetensors", string(safetensors(one+`,"0.weight":{"dtype":"F64","shape":[1,1],"data_offsets":[0,8]},"0.bias":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}`,
		append(nan, make([]byte, 8)...))))
	write(t, dir, "case.safetensors", string(safetensors(one+`,"0.weight":{"dType":"F64","shape":[1,1],"data_offsets":[0,8]},"0.bias":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}`,
		make([]byte, 16))))
	write(t, dir, "nolabel.csv", "x,y,label\n0,0,0\n1,NA,\n")
	write(t, dir, "inf.csv", "0,1\n+Inf,2\n")
	write(t, dir, "colours.csv", "x,colour,label\n0,red,0\n1,blue,1\n0,green,1\n1,grey,0\n")
	write(t, dir, "noy.csv", "label,x\n0,1\n")
	write(t, dir, "texty.csv", "y,x,label\n0,1,0\n1,high,1\n")
	write(t, dir, "bench.json", "[]")
	mnistDir(t, dir, "label10", func(f map[string][]byte) {
		f["train-labels-idx1-ubyte.gz"] = idxFile([]uint32{4}, []byte{0, 1, 10, 3}, true)
	})
	mnistDir(t, dir, "testlabel", func(f map[string][]byte) { f["t10k-labels-idx1-ubyte.gz"] = idxFile([]uint32{2}, []byte{4, 200}, true) })
	mnistDir(t, dir, "promise", func(f map[string][]byte) { f["train-images-idx3-ubyte.gz"] = idxFile([]uint32{1 << 31, 1}, nil, false) })
	mnistDir(t, dir, "crc", func(f map[string][]byte) {
		z := f["train-images-idx3-ubyte.gz"]
		z[len(z)-8] ^= 1
	})
	mnistDir(t, dir, "shapes", func(f map[string][]byte) {
		f["t10k-images-idx3-ubyte.gz"] = idxFile([]uint32{2, 3, 3}, make([]byte, 18), true)
	})

	quiet := []string{"--quiet", "--epochs", "1"}
	csv := append([]string{"train", "--data", "csv:data.csv"}, quiet...)
	moons := append([]string{"train", "--data", "synthetic:moons"}, quiet...)
	for _, c := range []struct {
		args []string
		want string
	}{
		// Model files that claim what they do not hold.
		{[]string{"eval", "--model", "huge.safetensors", "--data", "csv:data.csv"}, "huge.safetensors: __metadata__: layer 1 (3000000×3000000 weights) takes the network past 2147483647 parameters"},
		{[]string{"eval", "--model", "overflow.safetensors", "--data", "csv:data.csv"}, "layer 1 (4×4611686018427387904 weights)"},
		{[]string{"eval", "--model", "promise.safetensors", "--data", "csv:data.csv"}, "promise.safetensors: the metadata describes a network of 1000001000 parameters (8000008000 bytes of tensor data), but the file has 0 bytes"},
		{[]string{"predict", "--model", "nan.safetensors", "--input", "data.csv"}, "nan.safetensors: tensor 0.weight: element [0, 0] is NaN"},
		{[]string{"predict", "--model", "case.safetensors", "--input", "data.csv"}, `case.safetensors: tensor 0.weight has no "dtype"`},
		{[]string{"eval", "--model", "/dev/zero", "--data", "csv:data.csv"}, "/dev/zero: a device, not a model file"},
		{[]string{"eval", "--model", "folder.safetensors", "--data", "csv:data.csv"}, "folder.safetensors: a directory, not a model file"},
		// Data that is not what it claims.
		{append(slicesOf("train", "--mnist-dir", "label10"), quiet...), "train-labels-idx1-ubyte.gz: item 2 has label 10, expected a digit 0 to 9"},
		{append(slicesOf("train", "--mnist-dir", "testlabel"), quiet...), "t10k-labels-idx1-ubyte.gz: item 1 has label 200"},
		{append(slicesOf("train", "--mnist-dir", "promise"), quiet...), "train-images-idx3-ubyte.gz: IDX header gives dimensions [2147483648]: more than 134217728 bytes"},
		{append(slicesOf("train", "--mnist-dir", "crc"), quiet...), "train-images-idx3-ubyte.gz: gzip: invalid checksum"},
		{append(slicesOf("train", "--mnist-dir", "shapes"), quiet...), "t10k-images-idx3-ubyte.gz: images of 9 pixels, but those of train-images-idx3-ubyte.gz have 4"},
		{append(slicesOf("train", "--data", "csv:nolabel.csv"), quiet...), "nolabel.csv:3: column 3 (label): the label is missing: drop the rows without one"},
		{append(slicesOf("train", "--data", "csv:inf.csv"), quiet...), "inf.csv:2: column 1 (1): found +Inf"},
		{append(slicesOf("train", "--data", "csv:colours.csv", "--max-categories", "2", "--test-split", "0"), quiet...), "colour"},
		{append(slicesOf("train", "--data", "csv:colours.csv", "--sep", "tab"), quiet...), "colours.csv"},
		{[]string{"predict", "--model", "model.safetensors", "--input", "noy.csv"}, `noy.csv: no column "y", which the model's features need`},
		{[]string{"eval", "--model", "model.safetensors", "--data", "csv:texty.csv"}, `texty.csv:3: column 2 (x)`},
		// Sizes that cannot fit, refused before anything is allocated.
		{append(slicesOf("train", "--layers", "99999999:relu,10:softmax"), quiet...), "layer 1 (99999999×784 weights) takes the network past 2147483647 parameters"},
		{append(moons, "--layers", "9223372036854775807:relu,1:sigmoid"), "layer 1 (9223372036854775807×2 weights)"},
		{append(moons, "--samples", "2000000000"), "--samples 2000000000 needs about 66.07 GB of memory, more than the"},
		// Flags that used to be coerced.
		{append(moons, "--test-split", "-0.1"), "--test-split must be in [0, 1), found -0.1"},
		{append(moons, "--noise", "-5"), "--noise must be a finite number of 0 or more, found -5"},
		{append(moons, "--noise", "NaN"), "--noise must be a finite number of 0 or more, found NaN"},
		{append(csv, "--label-col", "-3"), `data.csv: no column "-3": the columns are "x", "y", "label" (or 1 to 3 by number)`},
		{append(moons, "--layers", "16:relu,1:softmax"), "layer 2: softmax needs at least 2 units, found 1"},
		{append(moons, "--on-interrupt", "ignore"), `--on-interrupt: unknown choice "ignore"`},
		{append(moons, "--bucket-mb", "0"), `invalid value "0" for flag -bucket-mb: expected a size in MiB greater than 0 and at most 1048576, such as 25 or 0.5; found "0"`},
		{append(moons, "--bucket-mb", "-2"), `invalid value "-2" for flag -bucket-mb: expected a size in MiB greater than 0`},
		{append(moons, "--bucket-mb", "lots"), `invalid value "lots" for flag -bucket-mb: expected a size in MiB greater than 0 and at most 1048576, such as 25 or 0.5; found "lots"`},
		{append(moons, "--bucket-mb", "NaN"), `invalid value "NaN" for flag -bucket-mb: expected a size in MiB`},
		{[]string{"bench", "--workload", "W3", "--bucket-mb", "1e9"}, `invalid value "1e9" for flag -bucket-mb: expected a size in MiB greater than 0 and at most 1048576`},
		{[]string{"bench", "--workload", "W3", "--batch", "256,x"}, `--batch: expected mini-batch sizes of 2 or more, comma-separated, such as 256,1024; found "x"`},
		{[]string{"bench", "--workload", "W3", "--batch", "1"}, `--batch: expected mini-batch sizes of 2 or more, comma-separated, such as 256,1024; found "1"`},
		// Outputs that would destroy a file.
		{append(csv, "--out", "data.csv"), "--out data.csv is the input data.csv: perceptron never writes over its inputs"},
		{append(csv, "--history", "./data.csv"), "--history ./data.csv is the input data.csv"},
		{append(csv, "--out", "same.bin", "--history", "same.bin"), "--out and --history both name same.bin"},
		{append(csv, "--out", "m.safetensors", "--plot", "m.interrupted.safetensors"), "--out (an interrupted fit's) and --plot both name m.interrupted.safetensors"},
		{append(csv, "--out", "/dev/null"), "--out: /dev/null is a device, not a regular file: perceptron replaces only regular files"},
		{append(csv, "--out", "link.safetensors"), "--out: link.safetensors is a symbolic link, not a regular file"},
		{append(csv, "--plot", "folder.safetensors"), "--plot: folder.safetensors is a directory, not a regular file"},
		{append(csv, "--history", "missing/h.csv"), "--history: cannot write missing/h.csv: the folder missing does not exist"},
		{append(csv, "--checkpoint", "data.csv"), "--checkpoint data.csv is the input data.csv"},
		{append(csv, "--checkpoint", "model.safetensors", "--resume", "history.csv"), "--resume: history.csv: not a safetensors file"},
		{[]string{"bench", "--workload", "W1", "--compare-json", "bench.json", "--out", "bench.json"}, "--out bench.json is the input bench.json"},
	} {
		name := strings.Join(c.args, " ")
		before := snapshot(t, dir)
		r := perceptron(t, dir, c.args...)
		assert.Equal(t, 1, r.code, "%s: exit status; stderr:\n%s", name, r.stderr)
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		require.NotEmpty(t, lines, name)
		assert.True(t, strings.HasPrefix(lines[0], "perceptron: error: "), "%s: stderr is the error:\n%s", name, r.stderr)
		assert.Contains(t, lines[0], c.want, name)
		if len(lines) > 1 {
			assert.Len(t, lines, 2, "%s: one error line and at most one hint:\n%s", name, r.stderr)
			assert.True(t, strings.HasPrefix(lines[1], "perceptron: hint: "), "%s: the second line is a hint:\n%s", name, r.stderr)
		}
		assert.Equal(t, before, snapshot(t, dir), "%s: no file changed", name)
	}
}

// slicesOf returns its arguments as a slice, so that a case can append to it
// without sharing another case's array.
func slicesOf(args ...string) []string { return args }

// TestHostileSizesUnderAMemoryLimit runs sizes that fit this machine but not
// a 4 GiB address space (ulimit -v): refused with the figures, never killed.
func TestHostileSizesUnderAMemoryLimit(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to set the limit with")
	}
	dir := t.TempDir()
	for _, c := range []struct {
		args string
		want string
	}{
		{"--data synthetic:moons --layers 99999999:relu,1:sigmoid", "a 399999997-parameter network on 1000 examples needs about"},
		{"--data synthetic:moons --samples 300000000", "--samples 300000000 needs about 9.97 GB of memory"},
		{"--data synthetic:moons --samples 300000000", "perceptron: hint: give --samples "}, // as many as fit (TestMostThatFit)
	} {
		cmd := exec.Command("sh", "-c", "ulimit -v 4194304 && exec \"$0\" train --quiet "+c.args, binary)
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		exit, ok := err.(*exec.ExitError)
		require.True(t, ok, "%s: exits with an error, found %v\n%s", c.args, err, stderr.String())
		assert.Equal(t, 1, exit.ExitCode(), c.args)
		assert.Contains(t, stderr.String(), c.want, c.args)
		assert.Contains(t, stderr.String(), "this process can use (ulimit -v)", c.args)
		assert.NotContains(t, stderr.String(), "fatal error", c.args)
	}
}

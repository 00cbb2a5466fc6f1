package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// edgeCSV writes a CSV of a header and rows rows of cols random features
// and the label label(i) gives.
func edgeCSV(cols, rows int, sep string, label func(i int) string) string {
	rng := rand.New(rand.NewPCG(uint64(cols), uint64(rows)))
	var b strings.Builder
	for j := range cols {
		fmt.Fprintf(&b, "c%d,", j)
	}
	b.WriteString("y" + sep)
	for i := range rows {
		for range cols {
			fmt.Fprintf(&b, "%.2f,", rng.Float64())
		}
		b.WriteString(label(i) + sep)
	}
	return b.String()
}

// TestDataEdgeCases trains on the data edge cases of issue 26 through
// train --data csv:F: each trains, or is refused with one clear message.
func TestDataEdgeCases(t *testing.T) {
	dir := t.TempDir()
	parity := func(i int) string { return fmt.Sprint(i % 2) }
	for _, tc := range []struct {
		name, csv string
		args      []string
		stderr    string // refused with this message; "" trains
		stdout    string // what the training prints, when it trains
	}{
		{name: "one row", csv: "a,b,y\n1,2,0\n",
			stderr: "perceptron: error: one row.csv: label column y has one class, \"0\", in the training rows: nothing to tell apart\n" +
				"perceptron: hint: without --label-col the label is the last column, y: give --label-col with the column to predict (one of a, b, y)\n"},
		{name: "one class", csv: edgeCSV(2, 30, "\n", func(int) string { return "1" }),
			stderr: "perceptron: error: one class.csv: label column y has one class, \"1\", in the training rows: nothing to tell apart\n" +
				"perceptron: hint: without --label-col the label is the last column, y: give --label-col with the column to predict (one of c0, c1, y)\n"},
		{name: "header only", csv: "a,b,y\n", stderr: "perceptron: error: header only.csv: no data rows\n"},
		{name: "10,000 columns", csv: edgeCSV(10000, 20, "\n", parity), stdout: "test: loss"},
		{name: "CRLF", csv: edgeCSV(3, 40, "\r\n", parity), stdout: "test: loss"},
		{name: "float labels regress", csv: edgeCSV(2, 40, "\n", func(i int) string { return fmt.Sprintf("%.3f", float64(i)/7) }), stdout: "rmse"},
		{name: "integral float labels classify", csv: edgeCSV(2, 40, "\n", func(i int) string { return fmt.Sprintf("%d.0", i%3) }), stdout: "accuracy"},
		{name: "float labels and a softmax", csv: edgeCSV(2, 40, "\n", func(i int) string { return fmt.Sprintf("%.3f", float64(i)/7) }),
			args: []string{"--layers", "4:relu,3:softmax"},
			stderr: "perceptron: error: float labels and a softmax.csv:11: column 3 (y): label 1.286 is not an integer, which a class needs (or regress on it)\n" +
				"perceptron: hint: without --label-col the label is the last column, y: give --label-col with the column to predict (one of c0, c1, y)\n"},
		{name: "an empty validation split", csv: edgeCSV(2, 4, "\n", parity), args: []string{"--val-split", "0.1"}, stdout: "test: loss"},
		{name: "a batch of all the rows", csv: edgeCSV(2, 10, "\n", parity), args: []string{"--batch", "7"}, stdout: "test: loss"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			write(t, dir, tc.name+".csv", tc.csv)
			r := perceptron(t, dir, append([]string{"train", "--data", "csv:" + tc.name + ".csv", "--epochs", "2", "--out", "", "--plot", ""}, tc.args...)...)
			if tc.stderr != "" {
				assert.Equal(t, 1, r.code)
				assert.Equal(t, tc.stderr, r.stderr)
				return
			}
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, tc.stdout)
		})
	}
}

// TestHintsWork follows each hint (and each error's advice) literally and
// checks that the command then works: the flags it names set to the values
// it names, the flags it says to drop dropped, or the file it asks for
// given.
func TestHintsWork(t *testing.T) {
	dir := t.TempDir()
	parity := func(i int) string { return fmt.Sprint(i % 2) }
	write(t, dir, "small.csv", edgeCSV(2, 6, "\n", parity))
	write(t, dir, "tiny.csv", edgeCSV(2, 5, "\n", parity))
	missing := strings.ReplaceAll(edgeCSV(2, 30, "\n", parity), "\n0.", "\n,0.") // every cell of c0 below the header is gone
	missing = strings.Replace(missing, "c0,", "c0,c0b,", 1)
	write(t, dir, "missing.csv", missing)
	write(t, dir, "ids.csv", strings.Replace(edgeCSV(1, 30, "\n", func(i int) string { return fmt.Sprintf("id%d,%d", i, i%2) }), "y", "id,y", 1))
	write(t, dir, "twolabels.csv", strings.Replace(edgeCSV(3, 30, "\n", parity), "c2,y", "y1,y2", 1))
	npyFile(t, dir, "x.npy", 30, 2, func(i, j int) float64 { return float64(i+j) / 10 })
	npyFile(t, dir, "y.npy", 30, 0, func(i, _ int) float64 { return float64(i) / 3 })
	labels := func(name string, label func(i int) float64) func(t *testing.T) {
		npyFile(t, dir, name, 30, 0, func(i, _ int) float64 { return label(i) })
		return func(t *testing.T) { npyFile(t, dir, name, 30, 0, func(i, _ int) float64 { return float64(i % 3) }) } // relabelled 0 to 2
	}
	relabel13 := labels("y13.npy", func(i int) float64 { return float64(i%3 + 1) })
	relabel013 := labels("y013.npy", func(i int) float64 { return []float64{0, 1, 3}[i%3] })
	twoClasses := labels("y0.npy", func(int) float64 { return 0 })
	npyFile(t, dir, "yrare.npy", 30, 0, func(i, _ int) float64 { return float64(min(i%2+i/29*2, 2)) }) // 0 1 0 1 … 2: class 2 once
	mnist := mnistDir(t, dir, "mnist", func(files map[string][]byte) {
		files["train-images-idx3-ubyte.gz"] = idxFile([]uint32{10, 2, 2}, make([]byte, 40), true)
		files["train-labels-idx1-ubyte.gz"] = idxFile([]uint32{10}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, true)
	})
	moons := []string{"--data", "synthetic:moons", "--samples", "60"}
	base := []string{"--epochs", "1", "--out", "", "--plot", "", "--history", ""}
	for _, tc := range []struct {
		name   string
		args   []string // train's, after base
		stderr string   // the error and its hint
		set    []string // flags and values the advice gives, set in turn
		drop   []string // flags the advice drops, with their values
		said   string   // how the advice spells the value, where it is a pattern or a part ("" the value itself)
		mend   func(t *testing.T)
	}{
		{name: "a batch past the data", args: []string{"--data", "csv:small.csv", "--batch", "100"},
			stderr: "perceptron: error: --batch 100 is larger than the 4 training examples\n" +
				"perceptron: hint: give --batch 4 or less (4: every training example in one step)\n",
			set: []string{"--batch", "4"}},
		{name: "a column all missing", args: []string{"--data", "csv:missing.csv"},
			stderr: "perceptron: error: missing.csv: column c0: every cell is missing in the training rows: drop the column (--drop c0), or fill missing numbers with zero (--impute zero)\n",
			set:    []string{"--impute", "zero"}},
		{name: "a column all missing dropped", args: []string{"--data", "csv:missing.csv"},
			stderr: "perceptron: error: missing.csv: column c0: every cell is missing in the training rows: drop the column (--drop c0), or fill missing numbers with zero (--impute zero)\n",
			set:    []string{"--drop", "c0"}},
		{name: "no validation for early stopping", args: []string{"--data", "csv:tiny.csv", "--val-split", "0.1", "--early-stop", "2"},
			stderr: "perceptron: error: --val-split 0.1 of the 4 training examples holds out none, and --early-stop needs validation examples\n" +
				"perceptron: hint: give --val-split 0.25 or more (one example)\n",
			set: []string{"--val-split", "0.25"}},
		{name: "a sigmoid for numbers", args: []string{"--data", "npy:x.npy,y.npy", "--layers", "4:relu,1:sigmoid"},
			stderr: "perceptron: error: --layers 4:relu,1:sigmoid: loss bce needs targets in [0, 1], found 5.333333333333333 at example 1 (the labels are numbers to predict: end the layers with 1:linear, whose loss is mse)\n",
			set:    []string{"--layers", "4:relu,1:linear"}, said: "with 1:linear"},
		{name: "too many categories", args: []string{"--data", "csv:ids.csv", "--max-categories", "5"},
			stderr: "perceptron: error: ids.csv: column id: 24 distinct values in the training rows, more than the 5 categories allowed (an identifier or free text is no category): drop the column (--drop id), or allow them (--max-categories 24)\n",
			set:    []string{"--max-categories", "24"}},
		{name: "too many categories dropped", args: []string{"--data", "csv:ids.csv", "--max-categories", "5"},
			stderr: "perceptron: error: ids.csv: column id: 24 distinct values in the training rows, more than the 5 categories allowed (an identifier or free text is no category): drop the column (--drop id), or allow them (--max-categories 24)\n",
			set:    []string{"--drop", "id"}},
		{name: "a loss for another output", args: append(moons, "--layers", "4:relu,1:relu", "--loss", "bce"),
			stderr: "perceptron: error: loss bce needs a sigmoid output layer, found relu\n" +
				"perceptron: hint: drop --loss bce: a relu output's loss is mse (softmax goes with ce, sigmoid with bce, and mse with any other output)\n",
			drop: []string{"--loss"}},
		{name: "a softmax with another loss", args: append(moons, "--layers", "4:relu,2:softmax", "--loss", "mse"),
			stderr: "perceptron: error: a softmax output layer needs loss ce, found mse\n" +
				"perceptron: hint: drop --loss mse: a softmax output's loss is ce (softmax goes with ce, sigmoid with bce, and mse with any other output)\n",
			drop: []string{"--loss"}},
		{name: "layers that do not parse", args: append(moons, "--layers", "4:relu,,1:sigmoid"),
			stderr: "perceptron: error: --layers: layer 2 \"\": expected UNITS:ACTIVATION, like 128:relu\n" +
				"perceptron: hint: list the hidden and output layers, like --layers 16:relu,16:relu,1:sigmoid\n",
			set: []string{"--layers", "16:relu,16:relu,1:sigmoid"}},
		{name: "a softmax of one unit", args: []string{"--data", "synthetic:blobs", "--samples", "60", "--layers", "4:relu,1:softmax"},
			stderr: "perceptron: error: layer 2: softmax needs at least 2 units, found 1 (its one output would always be 1): for two classes use 1:sigmoid\n" +
				"perceptron: hint: use --layers 4:relu,3:softmax\n",
			set: []string{"--layers", "4:relu,3:softmax"}},
		{name: "a softmax too wide", args: append(moons, "--layers", "4:relu,3:softmax"),
			stderr: "perceptron: error: --layers 4:relu,3:softmax: the data has 2 classes (0, 1) but the output layer 3:softmax has 3 units\n" +
				"perceptron: hint: use --layers 4:relu,2:softmax or --layers 4:relu,1:sigmoid\n",
			set: []string{"--layers", "4:relu,2:softmax", "--layers", "4:relu,1:sigmoid"}},
		{name: "a linear output per class", args: []string{"--data", "synthetic:blobs", "--samples", "60", "--layers", "4:relu,2:linear"},
			stderr: "perceptron: error: --layers 4:relu,2:linear: the data has 3 classes but the network has 2 outputs\n" +
				"perceptron: hint: use --layers 4:relu,3:softmax\n",
			set: []string{"--layers", "4:relu,3:softmax"}},
		{name: "outputs for numbers", args: []string{"--data", "npy:x.npy,y.npy", "--layers", "4:relu,3:linear"},
			stderr: "perceptron: error: --layers 4:relu,3:linear: the network has 3 outputs, which needs class labels 0..2, but the labels are not all integers in that range\n" +
				"perceptron: hint: use --layers 4:relu,1:linear\n",
			set: []string{"--layers", "4:relu,1:linear"}},
		{name: "one output for two labels", args: []string{"--data", "csv:twolabels.csv", "--label-col", "y1,y2", "--layers", "4:relu,1:linear"},
			stderr: "perceptron: error: --layers 4:relu,1:linear: the data has 2 label values per example but the network has 1 outputs\n" +
				"perceptron: hint: use --layers 4:relu,2:linear\n",
			set: []string{"--layers", "4:relu,2:linear"}},
		{name: "labels from 1", args: []string{"--data", "npy:x.npy,y13.npy"},
			stderr: "perceptron: error: class 0 has no training examples: the labels run from 1 to 3, read as the 4 classes 0 to 3\n" +
				"perceptron: hint: class labels are the numbers 0 to K-1 of K classes: relabel the 3 classes present as 0 to 2\n",
			mend: relabel13},
		{name: "labels with a gap", args: []string{"--data", "npy:x.npy,y013.npy"},
			stderr: "perceptron: error: class 2 has no training examples, of the data's 4 classes (0 to 3)\n" +
				"perceptron: hint: class labels are the numbers 0 to K-1 of K classes: relabel the 3 classes present as 0 to 2\n",
			mend: relabel013},
		{name: "one class", args: []string{"--data", "npy:x.npy,y0.npy"},
			stderr: "perceptron: error: class 1 has no training examples, of the data's 2 classes (0, 1)\n" +
				"perceptron: hint: a classifier tells two or more classes apart: give data with examples of each, numbered 0 to K-1\n",
			mend: twoClasses},
		{name: "a rare class held out", args: []string{"--data", "npy:x.npy,yrare.npy"},
			stderr: "perceptron: error: class 2 has no training examples, of the data's 3 classes (0, 1, 2)\n" +
				"perceptron: hint: a class this rare had its examples held out of training: give --test-split 0 and --val-split 0 to train on every example, or add examples of it\n",
			set: []string{"--test-split", "0", "--val-split", "0"}},
		{name: "early stopping without validation", args: append(moons, "--early-stop", "2", "--val-split", "0"),
			stderr: "perceptron: error: --early-stop needs validation data, and --val-split 0 holds none out of the training data\n" +
				"perceptron: hint: drop --val-split 0 to validate on 0.1 of the training data (the test set never chooses the epoch)\n",
			drop: []string{"--val-split"}},
		{name: "a plateau without validation", args: append(moons, "--lr-schedule", "plateau:2:0.5", "--val-split", "0"),
			stderr: "perceptron: error: --lr-schedule plateau:2:0.5 watches the validation figure --monitor names, and --val-split 0 holds no validation data out\n" +
				"perceptron: hint: drop --val-split 0 to validate on 0.1 of the training data, or choose another --lr-schedule\n",
			drop: []string{"--val-split"}},
		{name: "a monitor with nothing to watch for", args: append(moons, "--monitor", "val_accuracy"),
			stderr: "perceptron: error: --monitor val_accuracy has nothing to watch for\n" +
				"perceptron: hint: drop --monitor val_accuracy, or give --early-stop 5 to stop when it stops improving (--early-stop and --lr-schedule plateau:PATIENCE:FACTOR watch it)\n",
			drop: []string{"--monitor"}},
		{name: "a monitor followed to early stopping", args: append(moons, "--monitor", "val_accuracy"),
			stderr: "perceptron: error: --monitor val_accuracy has nothing to watch for\n" +
				"perceptron: hint: drop --monitor val_accuracy, or give --early-stop 5 to stop when it stops improving (--early-stop and --lr-schedule plateau:PATIENCE:FACTOR watch it)\n",
			set: []string{"--early-stop", "5"}},
		{name: "a CSV flag for other data", args: []string{"--data", "npy:x.npy,y.npy", "--sep", ";"},
			stderr: "perceptron: error: --sep applies to csv data, not npy\nperceptron: hint: drop --sep\n",
			drop:   []string{"--sep"}},
		{name: "class weights for numbers", args: []string{"--data", "npy:x.npy,y.npy", "--class-weight", "balanced"},
			stderr: "perceptron: error: --class-weight weighs the classes of a classification, but this network is a regression\n" +
				"perceptron: hint: drop --class-weight, or end the layers with a sigmoid or softmax output over class labels 0..K-1\n",
			drop: []string{"--class-weight"}},
		{name: "a test split of mnist", args: []string{"--data", "mnist", "--mnist-dir", mnist, "--val-split", "0", "--test-split", "0.1"},
			stderr: "perceptron: error: --test-split does not apply to mnist\n" +
				"perceptron: hint: mnist is tested on its own 10,000 test images: drop --test-split\n",
			drop: []string{"--test-split"}},
		{name: "a CSV without a path", args: []string{"--data", "csv:"},
			stderr: "perceptron: error: --data csv: needs a path\nperceptron: hint: write --data csv:PATH\n",
			set:    []string{"--data", "csv:small.csv"}, said: "--data csv:PATH"},
		{name: "npy without the labels", args: []string{"--data", "npy:x.npy"},
			stderr: "perceptron: error: --data npy:x.npy: expected two files, the features and the labels\nperceptron: hint: write --data npy:X.npy,Y.npy\n",
			set:    []string{"--data", "npy:x.npy,y.npy"}, said: "--data npy:X.npy,Y.npy"},
		{name: "unknown data", args: []string{"--data", "moons"},
			stderr: "perceptron: error: unknown data \"moons\"\nperceptron: hint: use mnist, csv:PATH, npz:PATH, npy:X.npy,Y.npy or synthetic:NAME\n",
			set:    []string{"--data", "synthetic:moons"}, said: "synthetic:NAME"},
		{name: "a backend not built", args: append(moons, "--backend", "cuda"),
			stderr: "perceptron: error: --backend cuda: built without CUDA support: rebuild with go build -tags cuda (on a machine with the CUDA toolkit)\n" +
				"perceptron: hint: use --backend cpu, or build with go build -tags cuda ./cmd/perceptron on a machine with the CUDA toolkit\n",
			set: []string{"--backend", "cpu"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := slices.Concat([]string{"train"}, base, tc.args)
			r := perceptron(t, dir, args...)
			require.Equal(t, 1, r.code, r.stdout)
			require.Equal(t, tc.stderr, r.stderr)
			for i := 0; i < len(tc.set); i += 2 {
				if tc.said != "" {
					require.Contains(t, r.stderr, tc.said)
				} else {
					require.Contains(t, r.stderr, tc.set[i]+" "+tc.set[i+1], "the advice names the flag and value")
				}
				follow := setFlag(slices.Clone(args), tc.set[i], tc.set[i+1])
				if i+2 < len(tc.set) && tc.set[i+2] != tc.set[i] { // flags given together
					follow = setFlag(follow, tc.set[i+2], tc.set[i+3])
					i += 2
				}
				r := perceptron(t, dir, follow...)
				require.Equal(t, 0, r.code, "following the advice, %v: %s", follow, r.stderr)
			}
			if tc.drop != nil {
				follow := slices.Clone(args)
				for _, flag := range tc.drop {
					require.Contains(t, r.stderr, "drop "+flag)
					i := slices.Index(follow, flag)
					follow = slices.Delete(follow, i, i+2)
				}
				r := perceptron(t, dir, follow...)
				require.Equal(t, 0, r.code, "following the advice, %v: %s", follow, r.stderr)
			}
			if tc.mend != nil {
				tc.mend(t)
				r := perceptron(t, dir, args...)
				require.Equal(t, 0, r.code, "the data mended as the advice says: %s", r.stderr)
			}
		})
	}
}

// setFlag gives flag the value v in args, replacing its value there.
func setFlag(args []string, flag, v string) []string {
	for i := range args {
		if args[i] == flag {
			args[i+1] = v
			return args
		}
	}
	return append(args, flag, v)
}

// TestMostThatFit checks the size checkFits' hints advise: the largest n
// whose bytes fit the room, against a scan of every n.
func TestMostThatFit(t *testing.T) {
	bytes := func(n int) uint64 { return baseBytes + uint64(n)*33 }
	for _, room := range []uint64{0, baseBytes - 1, baseBytes, baseBytes + 32, baseBytes + 33, baseBytes + 1000, baseBytes + 33*500, 1 << 40} {
		want := -1
		for n := 0; n <= 500; n++ {
			if bytes(n) <= room {
				want = n
			}
		}
		assert.Equal(t, want, mostThatFit(room, 500, bytes), "room %d", room)
	}
	assert.Equal(t, "give --samples 7 or fewer", samplesHint(7))
	assert.Contains(t, samplesHint(0), "the program alone needs more")
}

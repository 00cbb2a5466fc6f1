package main

import (
	"fmt"
	"math/rand/v2"
	"regexp"
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
			stderr: "perceptron: error: one row.csv: label column y has one class, \"0\", in the training rows: nothing to tell apart\n"},
		{name: "one class", csv: edgeCSV(2, 30, "\n", func(int) string { return "1" }),
			stderr: "perceptron: error: one class.csv: label column y has one class, \"1\", in the training rows: nothing to tell apart\n"},
		{name: "header only", csv: "a,b,y\n", stderr: "perceptron: error: header only.csv: no data rows\n"},
		{name: "10,000 columns", csv: edgeCSV(10000, 20, "\n", parity), stdout: "test: loss"},
		{name: "CRLF", csv: edgeCSV(3, 40, "\r\n", parity), stdout: "test: loss"},
		{name: "float labels regress", csv: edgeCSV(2, 40, "\n", func(i int) string { return fmt.Sprintf("%.3f", float64(i)/7) }), stdout: "rmse"},
		{name: "integral float labels classify", csv: edgeCSV(2, 40, "\n", func(i int) string { return fmt.Sprintf("%d.0", i%3) }), stdout: "accuracy"},
		{name: "float labels and a softmax", csv: edgeCSV(2, 40, "\n", func(i int) string { return fmt.Sprintf("%.3f", float64(i)/7) }),
			args:   []string{"--layers", "4:relu,3:softmax"},
			stderr: "perceptron: error: float labels and a softmax.csv:11: column 3 (y): label 1.286 is not an integer, which a class needs (or regress on it)\n"},
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

// hintFlag finds the flag and value a hint tells the user to give ("give
// --batch 5 or less" gives --batch 5) in the stderr of a refused run.
var hintFlag = regexp.MustCompile(`perceptron: hint: .*?(--[a-z-]+) ([^ ,()]+)`)

// TestHintsWork follows each hint literally and checks that the command
// then trains.
func TestHintsWork(t *testing.T) {
	dir := t.TempDir()
	parity := func(i int) string { return fmt.Sprint(i % 2) }
	write(t, dir, "small.csv", edgeCSV(2, 6, "\n", parity))
	write(t, dir, "tiny.csv", edgeCSV(2, 5, "\n", parity))
	missing := strings.ReplaceAll(edgeCSV(2, 30, "\n", parity), "\n0.", "\n,0.") // every cell of c0 below the header is gone
	missing = strings.Replace(missing, "c0,", "c0,c0b,", 1)
	write(t, dir, "missing.csv", missing)
	npyFile(t, dir, "x.npy", 30, 2, func(i, j int) float64 { return float64(i+j) / 10 })
	npyFile(t, dir, "y.npy", 30, 0, func(i, _ int) float64 { return float64(i) / 3 })
	base := []string{"train", "--epochs", "1", "--out", "", "--plot", ""}
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string // the error the hint follows
		hint   string // the line of the hint
	}{
		{name: "a batch past the data", args: []string{"--data", "csv:small.csv", "--batch", "100"},
			stderr: "perceptron: error: --batch 100 is larger than the 4 training examples\n",
			hint:   "perceptron: hint: give --batch 4 or less (4: every training example in one step)\n"},
		{name: "a column all missing", args: []string{"--data", "csv:missing.csv"},
			stderr: "perceptron: error: missing.csv: column c0: every cell is missing in the training rows: drop the column from the file, or fill missing numbers with zero (--impute zero)\n"},
		{name: "no validation for early stopping", args: []string{"--data", "csv:tiny.csv", "--val-split", "0.1", "--early-stop", "2"},
			stderr: "perceptron: error: --val-split 0.1 of the 4 training examples holds out none, and --early-stop needs validation examples\n",
			hint:   "perceptron: hint: give --val-split 0.25 or more (one example)\n"},
		{name: "a sigmoid for numbers", args: []string{"--data", "npy:x.npy,y.npy", "--layers", "4:relu,1:sigmoid"},
			stderr: "perceptron: error: --layers 4:relu,1:sigmoid: loss bce needs targets in [0, 1], found 5.333333333333333 at example 1 (the labels are numbers to predict: end the layers with 1:linear, whose loss is mse)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := perceptron(t, dir, append(base, tc.args...)...)
			require.Equal(t, 1, r.code, r.stdout)
			require.Equal(t, tc.stderr+tc.hint, r.stderr)
			follow := slices.Clone(tc.args)
			if m := hintFlag.FindStringSubmatch(r.stderr); m != nil {
				follow = setFlag(follow, m[1], m[2])
			} else if strings.Contains(tc.stderr, "(--impute zero)") {
				follow = append(follow, "--impute", "zero")
			} else if strings.Contains(tc.stderr, "end the layers with 1:linear") {
				follow = setFlag(follow, "--layers", "4:relu,1:linear")
			}
			r = perceptron(t, dir, append(base, follow...)...)
			require.Equal(t, 0, r.code, "following the advice, %v: %s", follow, r.stderr)
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

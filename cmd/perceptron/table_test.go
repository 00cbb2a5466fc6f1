package main

import (
	le "encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// customers writes a messy CSV of n rows: a semicolon for a separator, a
// quoted field holding one, missing cells of every spelling, a text column
// and text labels, a fee in the thousands beside an age in tens, and a
// weight column w. Whether a customer churns follows plan and age.
func customers(n int, header string, row func(age int, plan, city, fee, w, churned string) []string) string {
	var b strings.Builder
	b.WriteString(header + "\n")
	plans, cities := []string{"basic", "pro", "NA"}, []string{`"Lyon; FR"`, "Paris", "", "?"}
	for i := range n {
		age, plan := 20+(i*37)%50, plans[i%3]
		churned := "no"
		if (plan == "basic") != (age > 45) {
			churned = "yes"
		}
		fee := fmt.Sprint(1000 + (i*7919)%3000)
		if i%11 == 0 {
			fee = ""
		}
		b.WriteString(strings.Join(row(age, plan, cities[(i/3)%4], fee, fmt.Sprint(i%2), churned), ";") + "\n")
	}
	return b.String()
}

// TestMessyCSV trains on a CSV as people have them and evaluates and
// predicts with files whose columns come in another order, with a column
// more and a category never seen in training: columns are matched by name,
// classes printed by name, and what was fitted is in the model file.
func TestMessyCSV(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "train.csv", customers(300, "age;plan;city;fee;w;churned", func(age int, plan, city, fee, w, churned string) []string {
		return []string{fmt.Sprint(age), plan, city, fee, w, churned}
	}))
	write(t, dir, "test.csv", customers(60, "churned;extra;fee;city;plan;age", func(age int, plan, city, fee, w, churned string) []string {
		if plan == "pro" {
			plan = "enterprise" // never seen in training
		}
		return []string{churned, "x", fee, city, plan, fmt.Sprint(age)}
	}))
	write(t, dir, "requests.csv", "city,age,plan,fee\nParis,60,basic,2000\nParis,30,basic,1500\n")

	r := perceptron(t, dir, "train", "--data", "csv:train.csv", "--label-col", "churned", "--weight-col", "w", "--layers", "16:relu,2:softmax",
		"--optimizer", "adam", "--lr", "0.01", "--batch", "8", "--epochs", "60", "--json", "--history", "", "--plot", "")
	require.Equal(t, 0, r.code, r.stderr)
	var sum summary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum))
	assert.Equal(t, []string{"no", "yes"}, sum.Classes)
	assert.Contains(t, r.stderr, "perceptron: csv:train.csv: label churned (2 classes: no, yes); ", "the announcement names the label")
	assert.Equal(t, 8, sum.Inputs, "age, plan (<missing>, basic, pro), city (<missing>, Lyon; FR, Paris), fee; not w, not churned")
	require.NotNil(t, sum.Test)

	m, err := modelfile.Load(filepath.Join(dir, "model.safetensors"))
	require.NoError(t, err)
	require.NotNil(t, m.Prep)
	assert.Nil(t, m.Scaler, "a CSV's scaling is in its preprocessing")
	assert.Equal(t, []string{"age", "plan=<missing>", "plan=basic", "plan=pro", "city=<missing>", "city=Lyon; FR", "city=Paris", "fee"}, m.Prep.FeatureNames())
	assert.Equal(t, dataset.Standardise, m.Prep.Scale, "csv data is standardised by default")
	assert.Equal(t, "w", m.Prep.Weight)

	r = perceptron(t, dir, "eval", "--model", "model.safetensors", "--data", "csv:test.csv")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "perceptron: note: ignored columns: extra")
	assert.Contains(t, r.stderr, "perceptron: note: column plan: 20 rows with categories not seen in training (all zeros)")
	assert.Contains(t, r.stdout, "\n   no  ")
	assert.Contains(t, r.stdout, "\n  yes  ")
	assert.Contains(t, r.stdout, "         no    yes\n", "the confusion matrix's columns are named")

	r = perceptron(t, dir, "eval", "--model", "model.safetensors", "--data", "csv:test.csv", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var met metricsJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &met))
	assert.Equal(t, []string{"no", "yes"}, met.Classes)
	assert.Equal(t, 60, met.N)

	r = perceptron(t, dir, "predict", "--model", "model.safetensors", "--input", "requests.csv", "--class")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "no\nyes\n", r.stdout, "60 on basic stays; 30 on basic churns")

	r = perceptron(t, dir, "eval", "--model", "model.safetensors", "--data", "csv:requests.csv")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `requests.csv: no label column "churned", which the model was trained on`)
	assert.Contains(t, r.stderr, `perceptron: hint: eval measures the model against the labels: give a file with the label column "churned" (predict needs none)`)
	// test.csv, which the first eval took, has the column: the advice works
}

// TestCSVFlags checks the flags that say how a CSV is read and encoded.
func TestCSVFlags(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("size,code,label\n")
	for i := range 40 {
		size := fmt.Sprint(i % 7)
		if i%5 == 0 {
			size = "-"
		}
		fmt.Fprintf(&b, "%s,%d,%d\n", size, 10+i%3, i%2)
	}
	write(t, dir, "codes.csv", b.String())
	quiet := []string{"--epochs", "1", "--json", "--out", "", "--history", "", "--plot", ""}
	inputs := func(args ...string) int {
		t.Helper()
		r := perceptron(t, dir, append(append([]string{"train", "--data", "csv:codes.csv"}, args...), quiet...)...)
		require.Equal(t, 0, r.code, r.stderr)
		var sum summary
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum))
		return sum.Inputs
	}
	assert.Equal(t, 2, inputs("--na-values", "-"), "size read as numbers, its - missing")
	assert.Greater(t, inputs(), 2, "without --na-values, - makes size a text column")
	assert.Equal(t, 1+3, inputs("--na-values", "-", "--categorical", "code"), "code one-hot: 10, 11, 12")

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--sep", ":"}, `--sep: unknown separator ":"`},
		{[]string{"--impute", "mode"}, `--impute: unknown imputation "mode"`},
		{[]string{"--label-col", "colour"}, `no column "colour": the columns are "size", "code", "label"`},
		{[]string{"--weight-col", "code", "--label-col", "code"}, "code"},
		{[]string{"--decimal", ";"}, `--decimal: unknown decimal mark ";": expected "." or ","`},
		{[]string{"--decimal", ","}, `codes.csv: the decimal mark and the separator are both ","`},
	} {
		r := perceptron(t, dir, append(append([]string{"train", "--data", "csv:codes.csv"}, c.args...), quiet...)...)
		assert.Equal(t, 1, r.code, "%v: %s", c.args, r.stderr)
		assert.Contains(t, r.stderr, c.want, c.args)
	}
	r := perceptron(t, dir, append([]string{"train", "--data", "synthetic:moons", "--label-col", "y"}, quiet...)...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "--label-col applies to csv data, not synthetic")

	// Numbers with a decimal comma: text (one feature a value) with a note, numbers with --decimal ,, in
	// training and in predict.
	var c strings.Builder
	c.WriteString("size;code;label\n")
	for i := range 40 {
		fmt.Fprintf(&c, "%d;%s;%d\n", i%7, []string{"10,5", "11", "12"}[i%3], i%2)
	}
	write(t, dir, "comma.csv", c.String())
	comma := func(args ...string) result {
		return perceptron(t, dir, append(append([]string{"train", "--data", "csv:comma.csv"}, quiet...), args...)...)
	}
	r = comma()
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "perceptron: note: column code: its cells are numbers written with a decimal comma (such as 10,5): they read as text, a category each; "+
		"--decimal , reads them as numbers\n")
	var sum summary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum))
	assert.Equal(t, 1+3, sum.Inputs, "code as text: 10,5, 11, 12")
	r = comma("--decimal", ",", "--out", "comma.safetensors")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum))
	assert.Equal(t, 2, sum.Inputs, "code read as numbers")
	assert.NotContains(t, r.stderr, "decimal comma")
	write(t, dir, "rows.csv", "size;code\n1;10,5\n")
	r = perceptron(t, dir, "predict", "--model", "comma.safetensors", "--input", "rows.csv", "--decimal", ",")
	assert.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, "predict", "--model", "comma.safetensors", "--input", "rows.csv")
	assert.Equal(t, 1, r.code, "10,5 is no number without --decimal ,")

	// A Windows-1252 file: refused as UTF-8 with the advice, which followed trains a model whose categories
	// are the file's, so that eval of the same file with the flag finds them all.
	var latin strings.Builder
	latin.WriteString("ville;prix;y\n")
	for i := range 40 {
		fmt.Fprintf(&latin, "%s;%d;%d\n", []string{"Caf\xe9", "Gen\xe8ve", "Paris"}[i%3], i%5, i%3%2)
	}
	write(t, dir, "latin.csv", latin.String())
	r = perceptron(t, dir, append([]string{"train", "--data", "csv:latin.csv"}, quiet...)...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `latin.csv:2: column 1 (ville): "Caf\xe9" is not UTF-8 text`)
	assert.Contains(t, r.stderr, "(--encoding windows-1252)")
	r = perceptron(t, dir, append(append([]string{"train", "--data", "csv:latin.csv"}, quiet...), "--encoding", "windows-1252", "--out", "latin.safetensors")...)
	require.Equal(t, 0, r.code, r.stderr)
	m, err := modelfile.Load(filepath.Join(dir, "latin.safetensors"))
	require.NoError(t, err)
	assert.Equal(t, []string{"Café", "Genève", "Paris"}, m.Prep.Inputs[0].Categories)
	r = perceptron(t, dir, "eval", "--model", "latin.safetensors", "--data", "csv:latin.csv", "--encoding", "latin1")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "not seen in training")
}

// TestWeightColumn trains with a column of weights: weights of 0 make the
// training and validation losses 0, while the test's stay unweighted.
func TestWeightColumn(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("x,w,label\n")
	for i := range 50 {
		fmt.Fprintf(&b, "%g,0,%d\n", float64(i)/50, i%2)
	}
	write(t, dir, "zero.csv", b.String())
	r := perceptron(t, dir, "train", "--data", "csv:zero.csv", "--weight-col", "w", "--epochs", "2", "--json", "--out", "", "--history", "", "--plot", "")
	require.Equal(t, 0, r.code, r.stderr)
	var sum summary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum))
	assert.Equal(t, 1, sum.Inputs, "the weight column is no feature")
	for _, e := range sum.History {
		assert.Zero(t, *e.Loss, "epoch %d: every example weighs 0", e.Epoch)
		assert.Zero(t, *e.ValLoss, "epoch %d: the validation part is weighted too", e.Epoch)
	}
	assert.Positive(t, *sum.Test.Loss, "the test loss is unweighted")
}

// npyFile writes a little-endian float64 .npy file of rows×cols values.
func npyFile(t *testing.T, dir, name string, rows, cols int, value func(i, j int) float64) string {
	t.Helper()
	shape := fmt.Sprintf("(%d,)", rows)
	if cols > 0 {
		shape = fmt.Sprintf("(%d, %d)", rows, cols)
	}
	header := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': %s, }", shape)
	header += strings.Repeat(" ", 63-(10+len(header))%64) + "\n"
	data := append([]byte("\x93NUMPY\x01\x00"), byte(len(header)), byte(len(header)>>8))
	data = append(data, header...)
	for i := range rows {
		for j := range max(cols, 1) {
			data = le.LittleEndian.AppendUint64(data, math.Float64bits(value(i, j)))
		}
	}
	return write(t, dir, name, string(data))
}

// TestScaleHint checks that unscaled data with a feature whose range dwarfs
// the others' gets a note to scale, whether it is a CSV or not.
func TestScaleHint(t *testing.T) {
	dir := t.TempDir()
	npyFile(t, dir, "x.npy", 40, 3, func(i, j int) float64 { return float64((i*7+j*3)%10) * []float64{0.1, 1000, 0.2}[j] })
	npyFile(t, dir, "y.npy", 40, 0, func(i, _ int) float64 { return float64(i % 2) })
	var b strings.Builder
	b.WriteString("a,fee,b,label\n")
	for i := range 40 {
		fmt.Fprintf(&b, "%g,%d,%g,%d\n", float64(i%10)/10, 1000*(i%9), float64(i%5)/5, i%2)
	}
	write(t, dir, "fees.csv", b.String())
	quiet := []string{"--epochs", "1", "--out", "", "--history", "", "--plot", ""}
	for data, note := range map[string]string{
		"npy:x.npy,y.npy": "perceptron: note: feature 2 spans 9000, ",
		"csv:fees.csv":    "perceptron: note: feature fee spans 8000, ",
	} {
		r := perceptron(t, dir, append([]string{"train", "--data", data, "--scale", "none"}, quiet...)...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stderr, note, data)
		assert.Contains(t, r.stderr, "use --scale standard", data)
		r = perceptron(t, dir, append([]string{"train", "--data", data}, quiet...)...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.NotContains(t, r.stderr, "note: feature", "%s: scaled by default", data)
	}
}

// passengers writes a CSV like seaborn's titanic of n rows: survived (0/1),
// class, sex, fare, a ticket number of its own each, and alive, survived
// spelt yes or no. Whether a passenger survived follows sex and class.
func passengers(n int) string {
	var b strings.Builder
	b.WriteString("survived,class,sex,fare,ticket,alive\n")
	for i := range n {
		class, sex := 1+i%3, []string{"male", "female"}[(i/3)%2]
		survived := sex == "female" && class < 3 || i%7 == 0
		fmt.Fprintf(&b, "%d,%d,%s,%d,T%04d,%s\n", map[bool]int{false: 0, true: 1}[survived], class, sex, 10*(4-class)+i%5, i,
			map[bool]string{false: "no", true: "yes"}[survived])
	}
	return b.String()
}

// TestDrop trains on a CSV whose alive column copies the label and whose
// ticket is an identifier: ticket is refused as a category, naming --drop;
// with ticket dropped, alive is noted as a copy of the label; with both
// dropped, neither, and the model has no input of them. It evaluates on
// the same file (both noted as ignored) and predicts from rows without
// them. Dropping the label, or a column of another file, is refused.
func TestDrop(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "titanic.csv", passengers(120))
	write(t, dir, "requests.csv", "sex,fare,class\nfemale,30,1\nmale,10,3\n")
	train := func(args ...string) result {
		t.Helper()
		return perceptron(t, dir, slices.Concat([]string{"train", "--data", "csv:titanic.csv", "--label-col", "survived", "--max-categories", "50",
			"--epochs", "1", "--history", "", "--plot", "", "--json"}, args)...)
	}
	r := train("--out", "")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "perceptron: error: titanic.csv: column ticket: 96 distinct values in the training rows, more than the 50 categories allowed "+
		"(an identifier or free text is no category): drop the column (--drop ticket), or allow them (--max-categories 96)\n", r.stderr)

	leak := "perceptron: note: column alive determines the label survived one to one in the training rows (no → 0, yes → 1): it is almost surely " +
		"a copy or a recoding of the label, and the accuracy measured with it will not hold where the label is unknown: drop it (--drop alive)\n"
	r = train("--out", "", "--drop", "ticket")
	require.Equal(t, 0, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stderr, leak), r.stderr)
	assert.Equal(t, 1, strings.Count(r.stderr, "note:"), r.stderr)

	r = train("--drop", "ticket, 6") // alive by number
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "note:", "neither alive's copy of the label nor the columns dropped as asked")
	var sum summary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum))
	assert.Equal(t, 1+2+1, sum.Inputs, "class, sex (female, male), fare")
	m, err := modelfile.Load(filepath.Join(dir, "model.safetensors"))
	require.NoError(t, err)
	assert.Equal(t, []string{"class", "sex", "fare"}, m.Prep.InputNames())

	r = perceptron(t, dir, "eval", "--model", "model.safetensors", "--data", "csv:titanic.csv")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "perceptron: note: ignored columns: ticket, alive\n", r.stderr)
	assert.Contains(t, r.stdout, "examples  120")
	r = perceptron(t, dir, "predict", "--model", "model.safetensors", "--input", "requests.csv")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Len(t, strings.Fields(r.stdout), 2, "a prediction a row, from rows without the dropped columns")

	for _, c := range []struct{ drop, want string }{
		{"survived", "perceptron: error: titanic.csv: cannot drop the label: column survived is the label, not a feature\n"},
		{"ticket,name", `perceptron: error: dropped column: titanic.csv: no column "name": the columns are "survived", "class", "sex", "fare", "ticket", "alive" (or 1 to 6 by number)` + "\n"},
		{"class,sex,fare,ticket,alive", "perceptron: error: titanic.csv: no feature columns: every column is a label, the weights or dropped (class, sex, fare, ticket, alive)\n"},
	} {
		r = train("--out", "", "--drop", c.drop)
		assert.Equal(t, 1, r.code, c.drop)
		assert.Equal(t, c.want, r.stderr, c.drop)
	}
	r = train("--out", "", "--drop", "ticket,class", "--categorical", "class")
	assert.Equal(t, "perceptron: error: titanic.csv: column class is both dropped and categorical: give it to one of them\n", r.stderr)
	r = perceptron(t, dir, "train", "--data", "synthetic:moons", "--drop", "x")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "perceptron: error: --drop applies to csv data, not synthetic\nperceptron: hint: drop --drop\n", r.stderr)
}

// TestDefaultLabelHint trains on a file whose last column, the label by
// default, has a missing cell: the error gets the hint that names the
// default and --label-col, which a --label-col given does not.
func TestDefaultLabelHint(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id,survived,port\n")
	for i := range 30 {
		port := []string{"S", "C", "Q"}[i%3]
		if i == 7 {
			port = ""
		}
		fmt.Fprintf(&b, "%d,%d,%s\n", i, i%2, port)
	}
	write(t, dir, "ship.csv", b.String())
	r := perceptron(t, dir, "train", "--data", "csv:ship.csv", "--out", "", "--quiet")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "perceptron: error: ship.csv:9: column 3 (port): the label is missing: drop the rows without one (--drop-unlabelled)\n"+
		"perceptron: hint: without --label-col the label is the last column, port: give --label-col with the column to predict (one of id, survived, port)\n", r.stderr)
	r = perceptron(t, dir, "train", "--data", "csv:ship.csv", "--label-col", "port", "--out", "", "--quiet")
	assert.Equal(t, 1, r.code)
	assert.NotContains(t, r.stderr, "hint")
	r = perceptron(t, dir, "train", "--data", "csv:ship.csv", "--label-col", "survived", "--out", "", "--quiet", "--history", "", "--plot", "")
	assert.Equal(t, 0, r.code, r.stderr)
}

// TestDropUnlabelled trains on a file of 60 rows, 3 without a label: an
// error naming the first and advising --drop-unlabelled, which, followed,
// trains on the 57 others with a note naming the lines left out (the test
// part among them, or, with --test-split 0, every row training); eval
// likewise; and a checkpoint records the flag for a resume.
func TestDropUnlabelled(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("x,colour,label\n")
	for i := range 60 {
		label := []string{"a", "b"}[i%2]
		if i == 10 || i == 20 || i == 45 {
			label = ""
		}
		fmt.Fprintf(&b, "%g,%s,%s\n", float64(i%9)/9, []string{"red", "blue"}[i%3%2], label)
	}
	write(t, dir, "d.csv", b.String())
	files := []string{"--history", "", "--plot", "", "--epochs", "1"}
	r := perceptron(t, dir, append([]string{"train", "--data", "csv:d.csv", "--label-col", "label", "--out", ""}, files...)...)
	assert.Equal(t, 1, r.code)
	assert.Regexp(t, `^perceptron: error: d\.csv:(12|22|47): column 3 \(label\): the label is missing: drop the rows without one \(--drop-unlabelled\)\n$`, r.stderr)

	examples := func(r result) int {
		var sum summary
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum), r.stderr)
		return sum.TrainExamples + sum.ValidationExamples + sum.TestExamples
	}
	r = perceptron(t, dir, append([]string{"train", "--data", "csv:d.csv", "--label-col", "label", "--drop-unlabelled", "--json", "--out", "m.safetensors",
		"--checkpoint", "ck.safetensors"}, files...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "perceptron: note: 3 rows without a label left out (--drop-unlabelled): lines 12, 22, 47\n")
	assert.Equal(t, 57, examples(r))
	r = perceptron(t, dir, append([]string{"train", "--data", "csv:d.csv", "--label-col", "label", "--drop-unlabelled", "--json", "--out", "",
		"--test-split", "0", "--val-split", "0"}, files...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 57, examples(r), "no test part: the 57 labelled rows train")

	r = perceptron(t, dir, "eval", "--model", "m.safetensors", "--data", "csv:d.csv")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "the label is missing")
	r = perceptron(t, dir, "eval", "--model", "m.safetensors", "--data", "csv:d.csv", "--drop-unlabelled", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var ev struct {
		N int `json:"n"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ev))
	assert.Equal(t, 57, ev.N)
	write(t, dir, "nolabel.csv", "x,colour\n0.5,red\n")
	r = perceptron(t, dir, "eval", "--model", "m.safetensors", "--data", "csv:nolabel.csv", "--drop-unlabelled")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `perceptron: error: nolabel.csv: no label column "label", which the model was trained on`+"\n"+
		`perceptron: hint: eval measures the model against the labels`, "a file without the label column: the same error as without --drop-unlabelled")

	ck, err := modelfile.LoadCheckpoint(filepath.Join(dir, "ck.safetensors"))
	require.NoError(t, err)
	assert.Equal(t, "true", ck.Settings["drop-unlabelled"])
	r = perceptron(t, dir, "train", "--resume", "ck.safetensors", "--epochs", "2", "--out", "", "--history", "", "--plot", "", "--quiet")
	require.Equal(t, 0, r.code, r.stderr)

	write(t, dir, "none.csv", "x,label\n1,\n2,\n")
	r = perceptron(t, dir, append([]string{"train", "--data", "csv:none.csv", "--drop-unlabelled", "--out", ""}, files...)...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "perceptron: error: none.csv: none of its 2 rows has a label: --drop-unlabelled leaves nothing to read\n")
	r = perceptron(t, dir, "train", "--data", "synthetic:moons", "--drop-unlabelled", "--out", "")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "--drop-unlabelled applies to csv data, not synthetic")
}

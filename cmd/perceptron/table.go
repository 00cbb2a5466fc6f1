package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// tableFlags are the flags that read a CSV file and prepare its columns.
type tableFlags struct {
	labels, sep, naValues, decimal       string
	encoding                             string
	categorical, drop, impute, weightCol string
	maxCategories                        int
	dropUnlabelled                       bool
}

// tableFlagNames are the flags of tableFlags, which only a CSV takes.
var tableFlagNames = []string{"label-col", "sep", "na-values", "categorical", "drop", "impute", "max-categories", "weight-col", "drop-unlabelled", "decimal", "encoding"}

// register defines the table flags of train (training) or eval on fs.
func (f *tableFlags) register(fs *flag.FlagSet, training bool) {
	fs.StringVar(&f.labels, "label-col", "", "csv: the label column, by name or 1-based number; several, comma-separated, for several outputs (default: the last column)")
	fs.BoolVar(&f.dropUnlabelled, "drop-unlabelled", false, "csv: leave out the rows whose label is missing, with a note naming them (default: such a row is an error)")
	f.registerReading(fs)
	if training {
		fs.StringVar(&f.categorical, "categorical", "", "csv: numeric columns to one-hot encode as categories, comma-separated (text columns always are)")
		fs.StringVar(&f.drop, "drop", "", "csv: columns left out of the features, by name or 1-based number, comma-separated (an identifier, free text, a copy of the label)")
		fs.StringVar(&f.impute, "impute", "median", "csv: what fills a missing number, from the training part: median, mean or zero (a missing category is a category of its own)")
		fs.IntVar(&f.maxCategories, "max-categories", dataset.DefaultMaxCategories, "csv: the most distinct values a text column may have in the training part")
		fs.StringVar(&f.weightCol, "weight-col", "", "csv: a column of per-example weights (0 or more) for the training and validation loss")
	}
}

// registerReading defines the flags that say how a CSV is read.
func (f *tableFlags) registerReading(fs *flag.FlagSet) {
	fs.StringVar(&f.sep, "sep", "", `csv: the separator, ",", ";", "tab" or "|" (default: detected among them)`)
	fs.StringVar(&f.naValues, "na-values", "", "csv: more cells that mean missing, comma-separated, besides an empty cell, NA, NaN and ?")
	fs.StringVar(&f.decimal, "decimal", ".", `csv: the decimal mark of the numbers, "." or "," (1234,56; with a separator other than ",")`)
	fs.StringVar(&f.encoding, "encoding", "", "csv: the file's character encoding, such as windows-1252 (latin1), iso-8859-15 or shift_jis (default: UTF-8, or UTF-16 after its byte order mark)")
}

// check refuses the table flags where the data is not a CSV, and values
// that cannot be right.
func (f *tableFlags) check(given map[string]bool, kind string) error {
	for _, name := range tableFlagNames {
		if given[name] && kind != "csv" {
			return withHint(fmt.Errorf("--%s applies to csv data, not %s", name, kind), "drop --"+name)
		}
	}
	if given["max-categories"] && f.maxCategories < 1 {
		return fmt.Errorf("--max-categories must be at least 1, found %d", f.maxCategories)
	}
	if _, err := f.readOptions(); err != nil {
		return err
	}
	_, err := dataset.ParseImpute(f.impute)
	if given["impute"] && err != nil {
		return fmt.Errorf("--impute: %w", err)
	}
	return nil
}

// readOptions returns how the CSV is read.
func (f *tableFlags) readOptions() (dataset.ReadOptions, error) {
	opt := dataset.ReadOptions{NAValues: list(f.naValues), Encoding: f.encoding}
	switch f.decimal {
	case ".":
	case ",":
		opt.Decimal = ','
	default:
		return opt, fmt.Errorf(`--decimal: unknown decimal mark %q: expected "." or ","`, f.decimal)
	}
	switch f.sep {
	case "":
	case ",", ";", "|":
		opt.Sep = rune(f.sep[0])
	case "tab", `\t`, "\t":
		opt.Sep = '\t'
	default:
		return opt, fmt.Errorf(`--sep: unknown separator %q: expected ",", ";", "tab" or "|"`, f.sep)
	}
	return opt, nil
}

// defaultLabelHint gives err, an error of the label column that the
// default chose (the last), a hint naming it and --label-col; it returns
// other errors as they are.
func (f *tableFlags) defaultLabelHint(t *dataset.Table, err error) error {
	var le *dataset.LabelError
	if f.labels != "" || !errors.As(err, &le) {
		return err
	}
	var names []string
	for _, c := range t.Columns[:min(len(t.Columns), 12)] {
		names = append(names, c.Name)
	}
	if more := len(t.Columns) - len(names); more > 0 {
		names = append(names, fmt.Sprintf("and %d more", more))
	}
	return withHint(err, fmt.Sprintf("without --label-col the label is the last column, %s: give --label-col with the column to predict (one of %s)",
		le.Columns[0], strings.Join(names, ", ")))
}

// list splits a comma-separated flag value into its trimmed, non-empty items.
func list(s string) []string {
	var items []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// prepared is a CSV made ready for a command: its parts, the preprocessing
// that made them, and what to tell the user about them.
type prepared struct {
	train, test *dataset.Set
	prep        *dataset.Preprocessor
	notes       dataset.Notes
}

// fitTable reads a CSV for training: its rows split as Set.Split splits
// examples, the preprocessing (scaling included) fitted on the training
// rows only, and both parts transformed; with a preprocessing prep (a warm
// start's), prep transforms them instead. The test part has no weights:
// its figures are unweighted.
func (f *tableFlags) fitTable(path string, testSplit float64, seed uint64, scaling dataset.Scaling, task dataset.Task, prep *dataset.Preprocessor) (prepared, error) {
	var p prepared
	read, _ := f.readOptions() // check refused a bad --sep
	t, err := dataset.LoadTable(path, read)
	if err != nil {
		return p, err
	}
	p.notes = append(p.notes, t.Notes...)
	labels := list(f.labels)
	if prep != nil {
		labels = prep.Labels
	}
	rows, err := f.labelledRows(t, labels, &p.notes)
	if err != nil {
		return p, err
	}
	n := t.Rows
	if rows != nil {
		n = len(rows)
	}
	trainRows, testRows, err := dataset.SplitRows(n, testSplit, seed)
	if err != nil {
		return p, err
	}
	if rows != nil && trainRows == nil { // no test part: every labelled row trains
		trainRows = rows
	} else if rows != nil {
		for _, part := range [][]int{trainRows, testRows} {
			for k, i := range part {
				part[k] = rows[i]
			}
		}
	}
	if p.prep = prep; prep == nil {
		impute, _ := dataset.ParseImpute(f.impute) // check refused a bad --impute
		p.prep, err = dataset.FitPreprocessor(t, trainRows, dataset.PrepOptions{Labels: list(f.labels), Categorical: list(f.categorical), Drop: list(f.drop),
			Impute: impute, MaxCategories: f.maxCategories, Scale: scaling, Task: task, WeightCol: f.weightCol})
		if err != nil {
			return p, f.defaultLabelHint(t, err)
		}
		p.notes = append(p.notes, p.prep.FitNotes()...)
	}
	parts := [][]int{trainRows}
	if len(testRows) > 0 {
		parts = append(parts, testRows)
	}
	sets, notes, err := p.prep.TransformParts(t, parts...)
	if err != nil && prep == nil {
		return p, f.defaultLabelHint(t, err)
	} else if err != nil {
		return p, err
	}
	runtime.GC() // what the table held that the sets did not take, before the trainer's copies
	p.train, p.notes = sets[0], append(p.notes, notes[0]...)
	if len(testRows) == 0 {
		p.test = p.train.Subset(nil)
	} else {
		p.test, p.notes = sets[1], append(p.notes, prefix("the test part: ", notes[1])...)
	}
	p.test.Weights = nil
	return p, nil
}

// labelledRows returns the rows of t to read: nil for all of them or, with
// --drop-unlabelled, those whose label columns (labels) all have a value,
// noting in notes how many were left out and their first lines.
func (f *tableFlags) labelledRows(t *dataset.Table, labels []string, notes *dataset.Notes) ([]int, error) {
	if !f.dropUnlabelled {
		return nil, nil
	}
	rows, skipped, err := t.LabelledRows(labels)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: none of its %d rows has a label: --drop-unlabelled leaves nothing to read", t.Name, t.Rows)
	}
	if len(skipped) > 0 {
		lines := make([]string, 0, 5)
		for _, i := range skipped[:min(len(skipped), 5)] {
			lines = append(lines, strconv.Itoa(t.Line(i)))
		}
		if len(skipped) > len(lines) {
			lines = append(lines, "…")
		}
		*notes = append(*notes, fmt.Sprintf("%d rows without a label left out (--drop-unlabelled): lines %s", len(skipped), strings.Join(lines, ", ")))
	}
	return rows, nil
}

// applyTable reads a CSV (path - is standard input) through a model's
// preprocessing (columns by name, in any order), or, for a model without,
// as numbers with the label in --label-col (labelled: eval) or none
// (predict).
func (f *tableFlags) applyTable(path string, prep *dataset.Preprocessor, labelled bool) (prepared, error) {
	var p prepared
	read, _ := f.readOptions()
	var t *dataset.Table
	var err error
	if path == "-" {
		t, err = dataset.ReadTable(os.Stdin, "stdin", read)
	} else {
		t, err = dataset.LoadTable(path, read)
	}
	if err != nil {
		return p, err
	}
	p.notes = t.Notes
	if prep == nil {
		p.test, err = numbers(t, f.labels, labelled)
		return p, err
	}
	var rows []int // nil: all
	lacksLabel := func(name string) bool { _, err := t.Column(name); return err != nil }
	if labelled && f.dropUnlabelled && !slices.ContainsFunc(prep.Labels, lacksLabel) { // a file without the label columns is refused below, with its hint
		if rows, err = f.labelledRows(t, prep.Labels, &p.notes); err != nil {
			return p, err
		}
	}
	var notes dataset.Notes
	if p.test, notes, err = prep.Transform(t, rows); err != nil {
		return p, err
	}
	p.notes, p.prep = append(p.notes, notes...), prep
	if labelled && p.test.Labels == nil {
		return p, withHint(fmt.Errorf("%s: no label column %s, which the model was trained on", path, quoteList(prep.Labels)),
			fmt.Sprintf("eval measures the model against the labels: give a file with the label column %s (predict needs none)", quoteList(prep.Labels)))
	}
	p.test.Weights = nil
	return p, nil
}

// numbers returns the rows of t as examples for a model without
// preprocessing: every cell a number (not missing), the label in column
// label (the last when empty) when labelled.
func numbers(t *dataset.Table, label string, labelled bool) (*dataset.Set, error) {
	labelAt := -1
	if labelled {
		labelAt = len(t.Columns) - 1
		if label != "" {
			var err error
			if labelAt, err = t.Column(label); err != nil {
				return nil, fmt.Errorf("--label-col: %w", err)
			}
		}
	}
	features := len(t.Columns)
	if labelled {
		features--
	}
	x, labels := make([]float64, t.Rows*features), make([]float64, t.Rows)
	f := 0
	for j, c := range t.Columns {
		if c.IsText() {
			cell, _ := c.Text(firstText(c))
			return nil, withHint(fmt.Errorf("%s: column %q holds text (%q), but the model takes numbers only", t.Name, c.Name, cell),
				"the model was trained without a preprocessing of text columns: train it on a CSV with that column to encode it")
		}
		for i, v := range c.Numbers {
			if v != v { // NaN: a missing cell
				return nil, withHint(fmt.Errorf("%s:%d: column %q: a missing cell, but the model takes numbers only", t.Name, t.Line(i), c.Name),
					"the model was trained without a preprocessing that fills missing cells: fill them, or train on a CSV")
			}
			if j == labelAt {
				labels[i] = v
			} else {
				x[i*features+f] = v
			}
		}
		if j != labelAt {
			f++
		}
	}
	if !labelled {
		labels = nil
	}
	s := dataset.New(x, labels, features)
	s.N = t.Rows
	return s, nil
}

// firstText returns the first row of a text column that holds text.
func firstText(c *dataset.Column) int {
	for i := range c.Codes {
		if c.Codes[i] >= 0 {
			return i
		}
	}
	return 0
}

// taskOf says what the labels are for a network of the given --layers: a
// sigmoid or softmax output classifies, any other output regresses, and
// without --layers (or with layers that do not parse, which build reports)
// the labels decide.
func taskOf(layers string) dataset.Task {
	specs, err := engine.ParseLayers(layers)
	if layers == "" || err != nil {
		return dataset.TaskAuto
	}
	switch specs[len(specs)-1].Activation {
	case engine.Sigmoid, engine.Softmax:
		return dataset.Classify
	}
	return dataset.Regress
}

// prefix puts p before each note.
func prefix(p string, notes dataset.Notes) dataset.Notes {
	out := make(dataset.Notes, len(notes))
	for i, n := range notes {
		out[i] = p + n
	}
	return out
}

// quoteList quotes names and joins them with commas.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

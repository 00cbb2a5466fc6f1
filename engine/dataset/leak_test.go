package dataset_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// titanic writes n rows of a table like seaborn's titanic: survived (0/1),
// pclass, sex, fare, and alive, survived spelt yes or no. alive(i, yes)
// spells row i's alive cell.
func titanic(n int, alive func(i int, yes bool) string) string {
	var b strings.Builder
	b.WriteString("survived,pclass,sex,fare,alive\n")
	for i := range n {
		survived := (i*7)%3 == 0
		fmt.Fprintf(&b, "%d,%d,%s,%g,%s\n", map[bool]int{false: 0, true: 1}[survived], 1+i%3, []string{"male", "female"}[i%2], 7.25+float64(i%11)*3.5, alive(i, survived))
	}
	return b.String()
}

func yesNo(_ int, yes bool) string { return map[bool]string{false: "no", true: "yes"}[yes] }

const aliveNote = "column alive determines the label survived one to one in the training rows (no → 0, yes → 1): it is almost surely a copy or a recoding " +
	"of the label, and the accuracy measured with it will not hold where the label is unknown: drop it (--drop alive)"

func fitNotes(t *testing.T, csv string, opt dataset.PrepOptions) dataset.Notes {
	t.Helper()
	tab, err := readTable(t, csv, dataset.ReadOptions{})
	require.NoError(t, err)
	p, err := dataset.FitPreprocessor(tab, nil, opt)
	require.NoError(t, err)
	return p.FitNotes()
}

// TestLeakNote checks the note on a feature column that determines the
// class one to one: titanic's alive beside survived gets exactly it, and
// columns that do not, or that might by chance, get none.
func TestLeakNote(t *testing.T) {
	survived := dataset.PrepOptions{Labels: []string{"survived"}}
	assert.Equal(t, dataset.Notes{aliveNote}, fitNotes(t, titanic(40, yesNo), survived))
	assert.Empty(t, fitNotes(t, titanic(40, yesNo), dataset.PrepOptions{Labels: []string{"survived"}, Drop: []string{"alive"}}), "dropped: no note")
	assert.Empty(t, fitNotes(t, titanic(40, func(i int, yes bool) string {
		if i == 17 {
			return ""
		}
		return yesNo(i, yes)
	}), survived), "a missing cell: not a copy of a label that is never missing")
	assert.Empty(t, fitNotes(t, titanic(19, yesNo), survived), "19 rows of 2 classes: fewer than 10 a class, a match may be chance")
	assert.Equal(t, dataset.Notes{aliveNote}, fitNotes(t, titanic(20, yesNo), survived), "20 rows: 10 a class")
	assert.Empty(t, fitNotes(t, titanic(40, func(i int, yes bool) string {
		if yes && i%2 == 0 {
			return "yes!"
		}
		return yesNo(i, yes)
	}), survived), "a class of two values is no copy")
	assert.Empty(t, fitNotes(t, titanic(40, func(int, bool) string { return "yes" }), survived), "one value")
	assert.Empty(t, fitNotes(t, titanic(40, func(i int, yes bool) string { return yesNo(i, yes != (i == 39)) }), survived), "one row off")

	note := fitNotes(t, titanic(40, yesNo), dataset.PrepOptions{Labels: []string{"alive"}})
	require.Len(t, note, 1, "survived, numbers, determines alive")
	assert.Contains(t, note[0], "column survived determines the label alive one to one in the training rows (0 → no, 1 → yes)")
	assert.Contains(t, note[0], "drop it (--drop survived)")

	opt := survived
	opt.Task = dataset.Regress
	assert.Empty(t, fitNotes(t, titanic(40, yesNo), opt), "a regression has no classes to copy")
	opt.Task, opt.Categorical = dataset.Classify, []string{"pclass"}
	assert.Equal(t, dataset.Notes{aliveNote}, fitNotes(t, titanic(40, yesNo), opt))
}

// TestLeakNoteCodesAndManyClasses checks a column of numeric codes, and a
// mapping of more classes than a note shows; and that penguins' island,
// which tells some species apart but not one to one, gets no note.
func TestLeakNoteCodesAndManyClasses(t *testing.T) {
	var b strings.Builder
	b.WriteString("species,island,code,size,level,grade\n")
	islands := map[string][]string{"Adelie": {"Biscoe", "Dream", "Torgersen"}, "Chinstrap": {"Dream"}, "Gentoo": {"Biscoe"}}
	for i := range 60 {
		species := []string{"Adelie", "Chinstrap", "Gentoo"}[i%3]
		fmt.Fprintf(&b, "%s,%s,%d,%d,%d,g%d\n", species, islands[species][i%len(islands[species])], 100+i%3, (i*37)%60, 10*(i%6), i%6) // size: 60 values, not rising with the lines
	}
	csv := b.String()
	notes := fitNotes(t, csv, dataset.PrepOptions{Labels: []string{"species"}, Categorical: []string{"code"}})
	require.Len(t, notes, 1, "code determines the species, island does not: %q", notes)
	assert.True(t, strings.HasPrefix(notes[0], "column code determines the label species one to one in the training rows (100 → Adelie, 101 → Chinstrap, 102 → Gentoo): "), notes[0])
	assert.Len(t, fitNotes(t, csv, dataset.PrepOptions{Labels: []string{"species"}}), 1, "numbers as well as codes")

	notes = fitNotes(t, csv, dataset.PrepOptions{Labels: []string{"grade"}})
	require.Len(t, notes, 1, "level determines the grade; species and code have 3 values, size 60")
	assert.True(t, strings.HasPrefix(notes[0], "column level determines the label grade one to one in the training rows (0 → g0, 10 → g1, 20 → g2, 30 → g3 and 2 more): "), notes[0])
}

// TestDrop checks that a dropped column is no input: the preprocessor is,
// JSON byte for byte, the one fitted on the table without the column, so
// that a model file needs nothing new; its sets are that one's, from a
// table with the column or without it; and the column is noted as ignored
// by a preprocessor read from JSON, not by the one that dropped it.
func TestDrop(t *testing.T) {
	csv := titanic(40, yesNo)
	full, err := readTable(t, csv, dataset.ReadOptions{})
	require.NoError(t, err)
	without, err := readTable(t, withoutLast(csv), dataset.ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"survived", "pclass", "sex", "fare"}, without.Names())

	opt := dataset.PrepOptions{Labels: []string{"1"}, Scale: dataset.Standardise}
	want, err := dataset.FitPreprocessor(without, nil, opt)
	require.NoError(t, err)
	opt.Drop = []string{"alive", "5"} // by name and by number, the same column
	p, err := dataset.FitPreprocessor(full, nil, opt)
	require.NoError(t, err)
	assert.Equal(t, []string{"pclass", "sex=female", "sex=male", "fare"}, p.FeatureNames())
	js, err := json.Marshal(p)
	require.NoError(t, err)
	wantJS, err := json.Marshal(want)
	require.NoError(t, err)
	assert.Equal(t, string(wantJS), string(js), "the model file's preprocessing is that of the file without the column")

	wantSet, _, err := want.Transform(without, nil)
	require.NoError(t, err)
	for _, tab := range []*dataset.Table{full, without} {
		s, notes, err := p.Transform(tab, nil)
		require.NoError(t, err)
		assert.Equal(t, wantSet.X, s.X)
		assert.Equal(t, wantSet.Labels, s.Labels)
		assert.Empty(t, notes, "dropped as asked: not noted as ignored")
	}
	var back dataset.Preprocessor
	require.NoError(t, json.Unmarshal(js, &back))
	_, notes, err := back.Transform(full, nil)
	require.NoError(t, err)
	assert.Equal(t, dataset.Notes{"ignored columns: alive"}, notes, "a model's preprocessing names what it does not use")
}

// withoutLast returns csv without its last column.
func withoutLast(csv string) string {
	lines := strings.Split(strings.TrimSuffix(csv, "\n"), "\n")
	for i, line := range lines {
		lines[i] = line[:strings.LastIndex(line, ",")]
	}
	return strings.Join(lines, "\n") + "\n"
}
